/**
 * How soon the demo page shows an explanation (`npm run bench:page [-- --opens n]`): starts the real local stack,
 * opens http://127.0.0.1:<port>/ in Debian's chromium `opens` times (a fresh browser context each: nothing
 * cached in the browser) and reads, in the page, the time from navigation to the first heatmap on screen. The
 * first open's explanation is a cache miss at the edge, the others hits. Then the on-device toggle: time until the
 * model, downloaded and compiled in the browser, has answered.
 */
import { parseArgs } from 'node:util'
import { launchChromium } from '../tests/browser/chromium'
import { LocalStack } from '../tests/e2e/localStack'
import { machineLoad } from './machine'
import { fixed, markdownTable } from './worker/table'

const { values: args } = parseArgs({ options: { opens: { type: 'string', default: '6' } } })

// The in-page expressions are strings: bench/ is type-checked for Node, without the DOM.
const stack = new LocalStack()
await stack.start()
const browser = await launchChromium()
try {
  const firstHeatmap: number[] = []
  let onDevice = 0
  for (let i = 0; i < Number(args.opens); i++) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
    const page = await context.newPage()
    await page.goto(`${stack.edgeUrl}/`)
    const shown = await page.waitForFunction(
      "document.querySelector('[data-testid=overlay]') && performance.now()",
    )
    firstHeatmap.push((await shown.jsonValue()) as number)
    if (i === 0) {
      const started = (await page.evaluate('performance.now()')) as number
      await page.getByTestId('on-device').check()
      const answered = await page.waitForFunction(
        "document.querySelector('#status').textContent.includes('on this device') && performance.now()",
        undefined,
        { timeout: 60_000 },
      )
      onDevice = ((await answered.jsonValue()) as number) - started
    }
    await context.close()
  }
  const [miss, ...hits] = firstHeatmap
  hits.sort((a, b) => a - b)
  console.log(`${machineLoad()}\n`)
  console.log(
    markdownTable(
      ['what', 'ms'],
      [
        ['navigation to first heatmap, first open (edge cache miss)', fixed(miss ?? Number.NaN, 0)],
        [
          `navigation to first heatmap, median of ${hits.length} more opens (cache hits)`,
          fixed(hits[Math.floor(hits.length / 2)] ?? Number.NaN, 0),
        ],
        ['on-device toggle to its answer (model download, compile, first run)', fixed(onDevice, 0)],
      ],
    ),
  )
} finally {
  await browser.close()
  await stack.stop()
}
