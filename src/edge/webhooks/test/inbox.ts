import { inject } from 'vitest'

export interface ReceivedWebhook {
  headers: Record<string, string>
  body: string
  answered: number
}

/** The URL a job posts its webhook to, for a receiver inbox unique to the calling test. */
export const inboxUrl = (name: string) => `${inject('webhookReceiverUrl')}/hooks/${name}`

/** Scripts the inbox's answers (the last one repeats) and returns what it has received so far. */
export async function inbox(name: string, statuses?: number[]): Promise<ReceivedWebhook[]> {
  const response = await fetch(`${inject('webhookReceiverUrl')}/inbox/${name}`, {
    method: statuses ? 'POST' : 'GET',
    ...(statuses ? { body: JSON.stringify({ statuses }) } : {}),
  })
  return ((await response.json()) as { received: ReceivedWebhook[] }).received
}
