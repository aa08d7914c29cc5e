import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'

/** Debian's chromium (scripts/install-system-deps.sh installs it); never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium'
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

/** Where the tests leave their screenshots (git-ignored); two of them illustrate the README. */
export const SCREENSHOTS = join(import.meta.dirname, 'screenshots')

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-system-deps.sh`)
  mkdirSync(SCREENSHOTS, { recursive: true })
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * Every request the page makes: those to loopback go ahead, any other is aborted and listed, so that a test can
 * prove the page needs nothing from the internet.
 */
export async function offline(page: Page): Promise<string[]> {
  const blocked: string[] = []
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url())
    if (url.protocol === 'data:' || url.protocol === 'blob:' || LOOPBACK.has(url.hostname))
      return route.continue()
    blocked.push(url.href)
    return route.abort('internetdisconnected')
  })
  return blocked
}
