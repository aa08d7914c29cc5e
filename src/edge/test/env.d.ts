import type { Env as EdgeEnv } from '../env'

declare global {
  namespace Cloudflare {
    interface Env extends EdgeEnv {}
  }
}
