import type { DemoConfig } from '../shared/demoConfig'

/** Where a visitor's key stays: this browser only, never sent anywhere but the API. */
const STORAGE_KEY = 't-tame-explain.apiKey'

/**
 * The key the page calls the API with: the local stack's development key (`GET /demo/config`), else the one this
 * browser kept, else the one the visitor types into `form` (kept for next time).
 */
export async function apiKey(form: HTMLFormElement): Promise<string> {
  const config = (await (await fetch('/demo/config')).json()) as DemoConfig
  if (config.apiKey) return config.apiKey
  const stored = localStorage.getItem(STORAGE_KEY)
  if (stored) return stored
  return askForKey(form)
}

/** Shows the key form until the visitor submits a key; remembers it. */
export function askForKey(form: HTMLFormElement, reason?: string): Promise<string> {
  form.hidden = false
  const message = form.querySelector<HTMLElement>('[data-reason]')
  if (message) message.textContent = reason ?? ''
  const input = form.querySelector('input') as HTMLInputElement
  input.focus()
  return new Promise((resolve) => {
    form.addEventListener('submit', function submitted(event) {
      event.preventDefault()
      const key = input.value.trim()
      if (!key) return
      form.removeEventListener('submit', submitted)
      localStorage.setItem(STORAGE_KEY, key)
      form.hidden = true
      input.value = ''
      resolve(key)
    })
  })
}

/** A key the API refused is not kept. */
export function forgetKey() {
  localStorage.removeItem(STORAGE_KEY)
}
