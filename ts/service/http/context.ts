/** What every route module is handed. */
import type { FastifyInstance } from 'fastify'
import type { LogsServiceCore, ServiceSettings } from '../types.js'
import type { ServiceMetrics } from './metrics.js'
import type { ServedRoots } from './path-guard.js'

export interface RouteContext {
  core: LogsServiceCore
  settings: ServiceSettings
  roots: ServedRoots
  metrics: ServiceMetrics
}

export type RegisterRoutes = (app: FastifyInstance, ctx: RouteContext) => void

/** Error responses every route documents. */
export const errorResponses = (codes: number[]): Record<number, unknown> =>
  Object.fromEntries(codes.map((c) => [c, { $ref: 'apiError#' }]))
