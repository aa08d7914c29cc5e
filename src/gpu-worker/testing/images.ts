import sharp from 'sharp'

/** A solid-colour image, encoded by sharp, for decoder tests. */
export function solid(width: number, height: number, rgb: [number, number, number], alpha = 1) {
  return sharp({
    create: { width, height, channels: 4, background: { r: rgb[0], g: rgb[1], b: rgb[2], alpha } },
  })
}

/** Left half `left`, right half `right`: shows which way an image was turned. */
export function halves(
  width: number,
  height: number,
  left: [number, number, number],
  right: [number, number, number],
) {
  return solid(width, height, left).composite([
    {
      input: { create: { width: width / 2, height, channels: 3, background: toColour(right) } },
      left: width / 2,
      top: 0,
    },
  ])
}

const toColour = ([r, g, b]: [number, number, number]) => ({ r, g, b })

/** The value of channel `c` at (x, y) of a CHW [3, side, side] tensor. */
export const at = (pixels: Float32Array, side: number, c: number, x: number, y: number) =>
  pixels[c * side * side + y * side + x] as number
