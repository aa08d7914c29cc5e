import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestProject } from 'vitest/node'
import './providedContext'

interface Inbox {
  statuses: number[]
  received: { headers: Record<string, string>; body: string; answered: number }[]
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}

/**
 * A webhook receiver over real HTTP. Each inbox `/hooks/<name>` answers with the statuses scripted for it (the
 * last one repeating; default 200; 0 = never answer) and records every request. Tests in the same process
 * script and read an inbox directly (`inbox(name)`); the workerd tests do it over HTTP: `POST /inbox/<name>`
 * ({ "statuses": [500, 200] }) and `GET /inbox/<name>`.
 */
export async function startWebhookReceiver() {
  const inboxes = new Map<string, Inbox>()
  const inbox = (name: string) => {
    let found = inboxes.get(name)
    if (!found) {
      found = { statuses: [200], received: [] }
      inboxes.set(name, found)
    }
    return found
  }
  const server = createServer(async (request, response) => {
    const body = await readBody(request)
    const [, kind, name] = /^\/(hooks|inbox)\/([\w-]+)$/.exec(request.url ?? '') ?? []
    if (!kind || !name) return void response.writeHead(404).end()
    const box = inbox(name)
    if (kind === 'inbox') {
      if (request.method === 'POST') box.statuses = (JSON.parse(body) as { statuses: number[] }).statuses
      return void response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(box))
    }
    const answered = box.statuses.length > 1 ? (box.statuses.shift() as number) : (box.statuses[0] ?? 200)
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([key, value]) => [key, String(value)]),
    )
    box.received.push({ headers, body, answered })
    if (answered !== 0) response.writeHead(answered).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    inbox,
    /** Where a job should post its webhook to land in inbox `name`. */
    url: (name: string) => `${origin}/hooks/${name}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections() // unanswered deliveries
      }),
  }
}

/** globalSetup of the edge tests: one receiver for all of them. */
export default async function setup(project: TestProject) {
  const receiver = await startWebhookReceiver()
  project.provide('webhookReceiverUrl', receiver.origin)
  return receiver.close
}
