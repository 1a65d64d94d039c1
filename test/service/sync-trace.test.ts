// The sync's phase marks on the diagnostics channel logferry:sync (what the sync benchmark and a
// slow-sync investigation read), for a real rsync sync over the test sshd.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { rsyncSyncService } from './rsync-sync-service.js'
import { SYNC_TRACE_CHANNEL, type SyncTraceEvent } from '../../ts/service/sync/sync-trace.js'
import { startSftp, type StartedSftp } from '../servers/sftp.js'

const work = mkdtempSync(join(tmpdir(), 'lf-sync-trace-'))
let sshd: StartedSftp
beforeAll(async () => {
  sshd = await startSftp()
})
afterAll(async () => {
  await sshd?.stop()
  rmSync(work, { recursive: true, force: true })
})

it('a sync publishes its phases in order, with the source named; nothing is published without a subscriber', async () => {
  const remote = join(sshd.dataDir, 'trace-logs')
  mkdirSync(remote, { recursive: true })
  for (let i = 0; i < 5; i++) writeFileSync(join(remote, `server-${i}.log`), `line ${i}\nERROR boom\n`)
  const svc = await rsyncSyncService({ cwd: work, dataDir: join(work, 'data'), sshd, name: 'cluster', remoteDir: remote })
  await svc.start()
  const seen: SyncTraceEvent[] = []
  const onMark = (m: unknown): void => void seen.push(m as SyncTraceEvent)
  subscribe(SYNC_TRACE_CHANNEL, onMark)
  try {
    const r = await svc.core.triggerSync().done
    expect(r.outcome).toBe('ok')
    expect(r.filesTransferred).toBe(5)
  } finally {
    unsubscribe(SYNC_TRACE_CHANNEL, onMark)
  }
  expect(seen.map((m) => m.phase)).toEqual(['start', 'rsync-start', 'rsync-first-item', 'rsync-exit', 'fetched', 'feed-settled', 'categorized', 'flushed', 'after-catalog', 'saved'])
  expect(seen.filter((m) => m.phase.startsWith('rsync')).every((m) => m.source === 'cluster')).toBe(true)
  expect(seen.map((m) => m.at)).toEqual([...seen.map((m) => m.at)].sort((a, b) => a - b))
  const before = seen.length
  await svc.core.triggerSync().done
  expect(seen.length).toBe(before)
  await svc.stop()
})
