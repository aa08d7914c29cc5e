import { STATIC_ASSETS } from '../shared/staticAssets'
import { h } from './dom'
import { GALLERY_INDEX, type GalleryEntry } from './galleryIndex'

/** The gallery the build found; none when it was built without the shared images. */
export async function loadGallery(): Promise<GalleryEntry[]> {
  const response = await fetch(GALLERY_INDEX)
  return response.ok ? ((await response.json()) as GalleryEntry[]) : []
}

export function renderGallery(
  container: HTMLElement,
  entries: readonly GalleryEntry[],
  choose: (blob: Blob, name: string) => void,
) {
  container.replaceChildren(
    ...entries.map((entry) => {
      const url = `${STATIC_ASSETS.gallery}${entry.file}`
      const button = h(
        'button',
        { type: 'button', title: entry.caption, 'data-file': entry.file },
        h('img', { src: url, alt: entry.caption, width: 64, height: 64, loading: 'lazy' }),
      )
      button.addEventListener('click', async () => choose(await (await fetch(url)).blob(), entry.file))
      return h('li', {}, button)
    }),
  )
}
