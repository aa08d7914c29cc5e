import type { EdgeSettings } from '../settings'

/**
 * `path` (with its query; '' for the origin itself) under the API's public origin, PUBLIC_BASE_URL. Links in
 * answers (upload URLs, a job's status and results, a model's labels) never come from the request: its Host
 * header is the caller's to choose.
 */
export function publicUrl(settings: Pick<EdgeSettings, 'PUBLIC_BASE_URL'>, path: `/${string}` | ''): string {
  return settings.PUBLIC_BASE_URL + path
}

/** Where a model's ONNX graph is downloaded from (its `onnx.url`): named by its content. */
export function modelFileUrl(settings: Pick<EdgeSettings, 'PUBLIC_BASE_URL'>, sha256: string): string {
  return publicUrl(settings, `/v1/model-files/${sha256}`)
}
