import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { hasSampleImages, readSampleImages } from '../../src/gpu-worker/testing/sampleImages'
import { classesFromText } from '../../src/shared/classesText'
import type { ExplainResponse, Model, ModelListEntry } from '../../src/shared/contract'
import type { Api } from '../../src/web/api'
import type { GalleryEntry } from '../../src/web/galleryIndex'
import type { DeviceModel } from '../../src/web/onDevice'
import type { loadPhoto } from '../../src/web/photo'
import { launchChromium, offline, SCREENSHOTS } from './chromium'

/** What a test puts on the page's `window` from the page's modules (photo.js, api.js, onDevice.js). */
interface PageModules {
  loadPhoto: typeof loadPhoto
  Api: typeof Api
  DeviceModel: typeof DeviceModel
}

const edgeUrl = inject('edgeUrl')
const apiKey = inject('apiKey')
const DESKTOP = { width: 1100, height: 900 }
const PHONE = { width: 375, height: 812 }

/** The API's own answer, asked from Node: what the page must show. */
async function serverAnswer(bytes: Uint8Array, query = ''): Promise<ExplainResponse> {
  const response = await fetch(`${edgeUrl}/v1/explain${query}`, {
    method: 'POST',
    body: new Blob([new Uint8Array(bytes)]),
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'image/jpeg' },
  })
  return (await response.json()) as ExplainResponse
}

const labelsOn = (page: Page) =>
  page.getByTestId('prediction').evaluateAll((items) => items.map((item) => item.getAttribute('data-label')))
const scoresOn = (page: Page) =>
  page
    .getByTestId('prediction')
    .evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-score'))))

/** Sum of the layout shifts the page has had (Cumulative Layout Shift, without those after input). */
const layoutShift = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        let total = 0
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries() as (PerformanceEntry & {
            value: number
            hadRecentInput: boolean
          })[])
            if (!entry.hadRecentInput) total += entry.value
          resolve(total)
        }).observe({ type: 'layout-shift', buffered: true })
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(total)))
      }),
  )

/** Pixels of an overlay canvas that the heatmap covers at all (alpha > 0). */
const heatPixels = (page: Page, index: number) =>
  page
    .getByTestId('overlay')
    .nth(index)
    .evaluate((canvas) => {
      const { width, height } = canvas as HTMLCanvasElement
      const alpha =
        (canvas as HTMLCanvasElement).getContext('2d')?.getImageData(0, 0, width, height).data ?? []
      let covered = 0
      for (let i = 3; i < alpha.length; i += 4) if ((alpha[i] as number) > 0) covered++
      return covered
    })

describe('the demo page', async () => {
  const gallery = (await (await fetch(`${edgeUrl}/gallery/index.json`)).json()) as GalleryEntry[]
  const photos = hasSampleImages() ? readSampleImages() : new Map<string, Buffer>()
  let browser: Browser

  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(() => browser?.close())

  /** The page as a visitor opens it: the first gallery image explained. Requests to /v1/explain are counted. */
  async function open(viewport = DESKTOP) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: viewport === PHONE ? 2 : 1 })
    const page = await context.newPage()
    const blocked = await offline(page)
    const explainCalls: string[] = []
    page.on('request', (request) => {
      if (request.url().includes('/v1/explain')) explainCalls.push(request.url())
    })
    await page.goto(`${edgeUrl}/`)
    await page.getByTestId('overlay').first().waitFor()
    return { page, blocked, explainCalls, close: () => context.close() }
  }

  it.skipIf(gallery.length === 0)(
    'opens with the first gallery image explained: top classes with score bars, its heatmap, nothing shifting',
    async () => {
      const { page, blocked, close } = await open()
      const first = gallery[0] as GalleryEntry
      const labels = await labelsOn(page)
      expect(labels).toHaveLength(5)
      expect(labels[0]).toBe(first.label)
      expect(await page.getByTestId('overlay').count()).toBe(1)
      expect(await heatPixels(page, 0)).toBeGreaterThan(0)
      expect(await page.locator('#status').textContent()).toMatch(
        /server · \d+ ms round trip · cache (hit|miss)/,
      )
      expect(await layoutShift(page)).toBeLessThan(0.01)
      expect(blocked).toEqual([])
      await page.screenshot({ path: `${SCREENSHOTS}/page-desktop-open.png`, fullPage: true })
      await close()
    },
  )

  it.skipIf(!photos.has('n02123159_tiger_cat.JPEG'))(
    'explains a picked photo, then "why not" any class beside it: one more call for a class without a map',
    async () => {
      const { page, explainCalls, close } = await open()
      const bytes = photos.get('n02123159_tiger_cat.JPEG') as Buffer
      const answer = await serverAnswer(bytes, '?topK=5')
      const picked = page.waitForResponse((response) => response.url().includes('/v1/explain'))
      await page
        .getByTestId('image-input')
        .setInputFiles({ name: 'tiger_cat.jpg', mimeType: 'image/jpeg', buffer: bytes })
      await picked
      await expect.poll(() => labelsOn(page)).toEqual(answer.predictions.map((p) => p.label))

      // The second of the top 5 came with the first answer: "why not" it needs no call.
      const calls = explainCalls.length
      await page.getByTestId('prediction').nth(1).getByRole('button').click()
      await expect.poll(() => page.getByTestId('overlay').count()).toBe(2)
      expect(explainCalls.length).toBe(calls)
      expect(await heatPixels(page, 1)).toBeGreaterThan(0)
      await page.screenshot({ path: `${SCREENSHOTS}/page-desktop-why-not.png` })

      // A class outside the top 5: its map takes one call, with `classes`.
      const models = (await (
        await fetch(`${edgeUrl}/v1/models`, { headers: { Authorization: `Bearer ${apiKey}` } })
      ).json()) as { models: ModelListEntry[] }
      const labels = models.models.find((m) => m.default)?.labels ?? []
      const predicted = new Set(answer.predictions.map((p) => p.label))
      const outside = labels.findIndex((label) => !predicted.has(label))
      await page.locator(`#classes button[data-class="${labels[outside]}"]`).click()
      await expect.poll(() => page.getByTestId('overlay').count()).toBe(3)
      const asked = explainCalls.slice(calls).map((url) => new URL(url).searchParams.get('classes') ?? '')
      expect(asked.map(classesFromText)).toEqual([[outside]])
      expect(await heatPixels(page, 2)).toBeGreaterThan(0)
      expect(
        await page
          .getByTestId('overlay')
          .evaluateAll((maps) => maps.map((m) => m.getAttribute('data-class'))),
      ).toEqual([answer.predictions[0]?.label, answer.predictions[1]?.label, labels[outside]])
      await close()
    },
  )

  it.skipIf(gallery.length === 0)(
    'explains on the device, with the same top classes as the server',
    async () => {
      const { page, explainCalls, close } = await open()
      const serverLabels = await labelsOn(page)
      const serverScores = await scoresOn(page)
      const calls = explainCalls.length
      await page.getByTestId('on-device').check()
      await expect
        .poll(() => page.locator('#status').textContent(), { timeout: 30_000 })
        .toMatch(/on this device \(wasm\)/)
      expect(await labelsOn(page)).toEqual(serverLabels)
      const deviceScores = await scoresOn(page)
      for (const [i, score] of deviceScores.entries())
        expect(Math.abs(score - (serverScores[i] as number))).toBeLessThan(0.01)
      expect(await heatPixels(page, 0)).toBeGreaterThan(0)
      expect(explainCalls.length).toBe(calls)
      await close()
    },
  )

  it.skipIf(gallery.length === 0)(
    "gives the server's top-1 and maps on the device for every gallery image (onnxruntime-web, WASM)",
    async () => {
      const { page, close } = await open()
      // The page's own modules, as its build serves them.
      await page.addScriptTag({
        type: 'module',
        content:
          "import { loadPhoto } from '/photo.js'; import { Api } from '/api.js'; " +
          "import { DeviceModel } from '/onDevice.js'; window.pageModules = { loadPhoto, Api, DeviceModel }",
      })
      await page.waitForFunction(() => 'pageModules' in window)
      const compared = await page.evaluate(
        async ({ entries, key }) => {
          const { loadPhoto, Api, DeviceModel } = (window as unknown as { pageModules: PageModules })
            .pageModules
          const api = new Api(key)
          const model = (await api.models()).find((m) => m.default) as Model
          const device = await DeviceModel.load(model, await api.graph(model))
          const rows = []
          for (const entry of entries) {
            const blob = await (await fetch(`/gallery/${entry.file}`)).blob()
            const photo = await loadPhoto(blob, entry.file)
            const ask = { topK: 5 }
            const server = await api.explain(photo, model, ask)
            const local = await device.explain(photo, model, ask)
            let max = 0
            let sum = 0
            let count = 0
            for (const [k, map] of server.maps.entries()) {
              for (const [i, level] of map.levels.entries()) {
                const difference = Math.abs(level - (local.maps[k]?.levels[i] ?? Number.NaN))
                max = Math.max(max, difference)
                sum += difference
                count++
              }
            }
            rows.push({
              file: entry.file,
              label: entry.label,
              server: server.predictions.map((p) => p.label),
              device: local.predictions.map((p) => p.label),
              mapClasses: [server.maps.map((m) => m.classId), local.maps.map((m) => m.classId)],
              maxLevels: max,
              meanLevels: sum / count,
            })
          }
          return rows
        },
        { entries: gallery, key: apiKey },
      )
      console.info(
        'on-device vs server maps (8-bit levels):',
        compared
          .map((row) => `${row.file}: max ${row.maxLevels}, mean ${row.meanLevels.toFixed(2)}`)
          .join('; '),
      )
      for (const row of compared) {
        expect(row.device[0], row.file).toBe(row.server[0])
        if (row.label) expect(row.server[0], row.file).toBe(row.label)
        expect(row.mapClasses[1], row.file).toEqual(row.mapClasses[0])
        // Photographs are reduced by libvips on the server and src/web/modelInput.ts here; browsers decode JPEG apart.
        expect(row.meanLevels, row.file).toBeLessThan(4)
      }
      // CIFAR-10 images are the model's own size: nothing is resized, the two must agree to rounding.
      for (const row of compared.filter((r) => r.label))
        expect(row.maxLevels, row.file).toBeLessThanOrEqual(1)
      await close()
    },
  )

  it.skipIf(gallery.length === 0)(
    "sends an explanation again after a 503, as the SDK does (here wrangler dev's plain-text lost request)",
    async () => {
      const context = await browser.newContext({ viewport: DESKTOP })
      const page = await context.newPage()
      const blocked = await offline(page)
      let answered = 0
      await page.route('**/v1/explain**', (route) =>
        answered++ === 0
          ? route.fulfill({
              status: 503,
              contentType: 'text/plain',
              body: 'Your worker restarted mid-request.',
            })
          : route.continue(),
      )
      await page.goto(`${edgeUrl}/`)
      await page.getByTestId('overlay').first().waitFor()
      expect(answered).toBe(2)
      expect(await labelsOn(page)).toHaveLength(5)
      expect(await page.locator('#error').textContent()).toBe('')
      expect(blocked).toEqual([])
      await context.close()
    },
  )

  it.skipIf(gallery.length === 0)(
    'asks for a key where the edge hands out none (production), keeps it in the browser, asks again if refused',
    async () => {
      const context = await browser.newContext({ viewport: DESKTOP })
      const page = await context.newPage()
      await offline(page)
      await page.route('**/demo/config', (route) => route.fulfill({ json: {} }))
      await page.goto(`${edgeUrl}/`)
      const form = page.locator('#key-form')
      await form.waitFor()
      await page.getByLabel('API key').fill('not-a-key')
      await page.getByRole('button', { name: 'Use this key' }).click()
      await expect.poll(() => form.getByRole('status').textContent()).toBe('The API refused that key.')
      await page.getByLabel('API key').fill(apiKey)
      await page.getByRole('button', { name: 'Use this key' }).click()
      await page.getByTestId('overlay').first().waitFor()
      expect(await form.isHidden()).toBe(true)
      await page.reload()
      await page.getByTestId('overlay').first().waitFor()
      expect(await form.isHidden()).toBe(true)
      await context.close()
    },
  )

  it.skipIf(gallery.length === 0)(
    'fits a 375 px wide phone without sideways scrolling, and works from the keyboard',
    async () => {
      const { page, close } = await open(PHONE)
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
      // The file input is reachable by Tab (it hides behind its label, not from the keyboard).
      let reached = false
      for (let i = 0; i < 8 && !reached; i++) {
        await page.keyboard.press('Tab')
        reached = await page.evaluate(
          () => document.activeElement?.getAttribute('data-testid') === 'image-input',
        )
      }
      expect(reached).toBe(true)
      const labels = await labelsOn(page)
      const other = await page
        .locator('#classes button')
        .evaluateAll(
          (buttons, shown) =>
            buttons.map((b) => b.getAttribute('data-class')).find((label) => label !== shown),
          labels[0],
        )
      await page.locator(`#classes button[data-class="${other}"]`).focus()
      await page.keyboard.press('Enter')
      await expect.poll(() => page.getByTestId('overlay').count()).toBe(2)
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
      await page.evaluate(() => window.scrollTo(0, 0))
      await page.screenshot({ path: `${SCREENSHOTS}/page-phone-why-not.png` })
      await close()
    },
  )
})
