import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { launchChromium, offline, SCREENSHOTS } from './chromium'

describe('the API reference at /docs', () => {
  let browser: Browser
  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(() => browser?.close())

  it("renders the API's operations with no request leaving loopback", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    const blocked = await offline(page)
    await page.goto(`${inject('edgeUrl')}/docs`)
    for (const summary of [
      'Explain an image in one forward pass',
      'Models that can explain',
      "A model's ONNX graph, to run it on a device",
      'Explain up to 1000 images in the background',
    ]) {
      await expect.poll(() => page.getByText(summary).count(), { timeout: 20_000 }).toBeGreaterThan(0)
    }
    await page.waitForLoadState('networkidle')
    await page.screenshot({ path: `${SCREENSHOTS}/docs.png` })
    expect(blocked).toEqual([])
  })
})
