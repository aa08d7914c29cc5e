/**
 * `@t-tame/client/node`: everything of `@t-tame/client`, with a client that also takes an image as a file path.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises'
import { type Upload, TTameClient as WebClient } from './client'
import type { ImageInput, ImageReference } from './image'
import type { ExplainResult } from './results'
import type { RequestOptions } from './transport'
import type { ExplainOptions } from './types'

export * from './index'

/** An image as anywhere, or the path of an image file. */
export type NodeImageInput = ImageInput | string

/** The image, its file read when it is a path. */
const fromPath = async <Image>(image: Image | string): Promise<Image | Uint8Array> =>
  typeof image === 'string' ? readFile(image) : image

/** {@link WebClient | TTameClient} whose image arguments may also be file paths. */
export class TTameClient extends WebClient {
  override async explain(
    image: NodeImageInput | ImageReference,
    options?: ExplainOptions & RequestOptions,
  ): Promise<ExplainResult> {
    return super.explain(await fromPath(image), options)
  }

  override async upload(image: NodeImageInput, options?: RequestOptions): Promise<Upload> {
    return super.upload(await fromPath(image), options)
  }

  override async uploadAndExplain(
    image: NodeImageInput,
    options?: ExplainOptions & RequestOptions,
  ): Promise<ExplainResult> {
    return super.uploadAndExplain(await fromPath(image), options)
  }
}
