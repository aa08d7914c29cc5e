/** What the webhook receiver's globalSetup hands to the edge tests. */
declare module 'vitest' {
  export interface ProvidedContext {
    webhookReceiverUrl: string
  }
}

export {}
