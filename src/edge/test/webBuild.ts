import { buildWeb } from '../../../scripts/build-web'

/** vitest globalSetup: wrangler.toml's `[assets]` folder must exist before workerd starts (a fresh clone has none). */
export default async function setup() {
  await buildWeb()
}
