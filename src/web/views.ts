import type { Crop } from '../shared/inputGeometry'
import type { Prediction } from '../shared/predictions'
import { h } from './dom'
import type { ClassMap } from './explanation'
import { drawHeat, drawPhoto, FIGURE_SIDE } from './heatmap'

/** How many classes the picker lists at once: a 1000-class model is searched, not scrolled. */
const PICKER_LIMIT = 24

/** Top-k with score bars; each is a button that shows its class's map. */
export function renderPredictions(
  list: HTMLElement,
  predictions: readonly Prediction[],
  shown: ReadonlySet<number>,
  pick: (classId: number) => void,
) {
  list.replaceChildren(
    ...predictions.map(({ classId, label, score }) => {
      const percent = `${(score * 100).toFixed(1)}%`
      const button = h(
        'button',
        { type: 'button', 'aria-pressed': String(shown.has(classId)), title: `Show the map of ${label}` },
        h('span', { class: 'label' }, label),
        h('span', { class: 'bar', 'aria-hidden': 'true' }, h('span', { style: `width: ${percent}` })),
        h('span', { class: 'score' }, percent),
      )
      button.addEventListener('click', () => pick(classId))
      return h(
        'li',
        { 'data-testid': 'prediction', 'data-label': label, 'data-score': score.toFixed(4) },
        button,
      )
    }),
  )
}

/** Every class of the model, filtered by the search text: any of them can be explained ("why not B?"). */
export function renderClassPicker(
  container: HTMLElement,
  labels: readonly string[],
  search: string,
  shown: ReadonlySet<number>,
  pick: (classId: number) => void,
) {
  const needle = search.trim().toLowerCase()
  const matches = labels
    .map((label, classId) => ({ label, classId }))
    .filter(({ label }) => label.toLowerCase().includes(needle))
  container.replaceChildren(
    ...matches.slice(0, PICKER_LIMIT).map(({ label, classId }) => {
      const button = h(
        'button',
        { type: 'button', class: 'class', 'data-class': label, 'aria-pressed': String(shown.has(classId)) },
        label,
      )
      button.addEventListener('click', () => pick(classId))
      return button
    }),
    ...(matches.length > PICKER_LIMIT
      ? [h('span', { class: 'more' }, `… ${matches.length - PICKER_LIMIT} more: type to narrow`)]
      : []),
    ...(matches.length === 0 ? [h('span', { class: 'more' }, 'No class matches.')] : []),
  )
}

/** One figure per map: the photo, its heat layer over the crop, the class, a button to take it away. */
export function renderMaps(
  grid: HTMLElement,
  maps: readonly ClassMap[],
  crop: Crop,
  photo: ImageBitmap,
  remove: (classId: number) => void,
) {
  grid.replaceChildren(
    ...maps.map((map, index) => {
      const base = h('canvas', {
        width: FIGURE_SIDE,
        height: FIGURE_SIDE,
        class: 'photo',
        'aria-hidden': 'true',
      })
      const heat = h('canvas', {
        width: FIGURE_SIDE,
        height: FIGURE_SIDE,
        class: 'heat',
        role: 'img',
        'aria-label': `Heatmap of ${map.label} over the photo`,
        'data-testid': 'overlay',
        'data-class': map.label,
      })
      drawPhoto(base, photo)
      drawHeat(heat, map, crop, photo)
      const caption = h(
        'figcaption',
        {},
        h('span', {}, index === 0 ? `Why ${map.label}` : `Why not ${map.label}?`),
      )
      if (index > 0) {
        const close = h(
          'button',
          { type: 'button', class: 'remove', 'aria-label': `Remove the map of ${map.label}` },
          '×',
        )
        close.addEventListener('click', () => remove(map.classId))
        caption.append(close)
      }
      return h('figure', {}, h('div', { class: 'frame' }, base, heat), caption)
    }),
  )
}
