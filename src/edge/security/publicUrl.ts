import type { Env } from '../env'

/**
 * `path` (with its query; '' for the origin itself) under the API's public origin, PUBLIC_BASE_URL. Links in
 * answers (upload URLs, a job's status and results, a model's labels) never come from the request: its Host
 * header is the caller's to choose.
 */
export function publicUrl(env: Pick<Env, 'PUBLIC_BASE_URL'>, path: `/${string}` | ''): string {
  return publicOrigin(env.PUBLIC_BASE_URL) + path
}

function publicOrigin(setting: string): string {
  let base: URL | undefined
  try {
    base = new URL(setting)
  } catch {}
  // An origin only: the routes (and the signed upload path) sit at the root of it.
  if (
    !base ||
    (base.protocol !== 'https:' && base.protocol !== 'http:') ||
    base.username ||
    base.password ||
    base.pathname !== '/' ||
    base.search ||
    base.hash
  ) {
    throw new Error(
      `PUBLIC_BASE_URL must be the API's origin, such as https://api.example.com; got "${setting}"`,
    )
  }
  return base.origin
}
