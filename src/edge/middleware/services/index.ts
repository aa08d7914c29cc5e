import type { MiddlewareHandler } from 'hono'
import type { EdgeContext } from '../../context'
import { servicesOf } from '../../services'

/** Puts the isolate's settings and services on the context (`c.var.services`), for every later handler. */
export function services(): MiddlewareHandler<EdgeContext> {
  return async (c, next) => {
    c.set('services', servicesOf(c.env))
    await next()
  }
}
