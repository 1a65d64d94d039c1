// Starts a MiniDFSCluster (one DataNode unless told otherwise) on 127.0.0.1 with WebHDFS and
// permissions enabled, prints "READY <namenode-http-port> <namenode-rpc-port> <datanodes>" once it
// is active, and runs until stdin closes or the process is signalled. Arguments: <base-dir>
// <namenode-http-port or 0> <format: true|false> [dataNodes=<n>] [<configuration key>=<value>...].
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

public final class MiniHdfs {
  public static void main(String[] args) throws Exception {
    String baseDir = args[0];
    int httpPort = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    boolean format = args.length <= 2 || Boolean.parseBoolean(args[2]);

    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir);
    conf.setBoolean("dfs.webhdfs.enabled", true);
    conf.setBoolean("dfs.permissions.enabled", true);
    conf.set("dfs.datanode.hostname", "127.0.0.1");
    conf.set("dfs.namenode.http-address", "127.0.0.1:" + httpPort);
    conf.setInt("dfs.replication", 1);
    conf.set("hadoop.security.authentication", "simple");
    int dataNodes = 1;
    for (int i = 3; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("expected key=value, got " + args[i]);
      String key = args[i].substring(0, eq);
      String value = args[i].substring(eq + 1);
      if (key.equals("dataNodes")) dataNodes = Integer.parseInt(value);
      else conf.set(key, value);
    }

    final MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf)
        .numDataNodes(dataNodes)
        .format(format)
        .nameNodeHttpPort(httpPort)
        .build();
    cluster.waitActive();
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::shutdown));

    int port = cluster.getNameNode().getHttpAddress().getPort();
    int rpcPort = cluster.getNameNodePort();
    System.out.println("READY " + port + " " + rpcPort + " " + cluster.getDataNodes().size());
    System.out.flush();

    // Run until the parent closes our stdin (or kills us).
    while (System.in.read() != -1) {
      // ignore input
    }
    System.exit(0);
  }
}
