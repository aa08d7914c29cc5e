import { describe, expect, it } from 'vitest'
import { mediaTypeOf, parseMediaType } from './mediaType'

describe('parseMediaType (RFC 9110 §8.3.1)', () => {
  it.each([
    ['image/jpeg', 'image/jpeg', {}],
    ['IMAGE/JPEG', 'image/jpeg', {}],
    ['application/json;', 'application/json', {}],
    ['application/json ; ; charset="utf-8"', 'application/json', { charset: 'utf-8' }],
    [
      'multipart/form-data; charset=utf-8; boundary=XyZ',
      'multipart/form-data',
      { charset: 'utf-8', boundary: 'XyZ' },
    ],
    ['multipart/form-data\t;   BOUNDARY=XyZ  ', 'multipart/form-data', { boundary: 'XyZ' }],
    ['multipart/form-data; boundary="a b;c=\\"d\\\\"', 'multipart/form-data', { boundary: 'a b;c="d\\' }],
    ['application/vnd.api+json; ext="a,b"', 'application/vnd.api+json', { ext: 'a,b' }],
  ])('reads %s', (header, essence, parameters) => {
    const parsed = parseMediaType(header)
    expect(parsed?.essence).toBe(essence)
    expect(Object.fromEntries(parsed?.parameters ?? [])).toEqual(parameters)
  })

  it('keeps the first of repeated parameters and reads any parameter name as data, never a property', () => {
    const parsed = parseMediaType('text/plain; __proto__=x; constructor=y; a=1; A=2')
    expect(parsed?.parameters.get('__proto__')).toBe('x')
    expect(parsed?.parameters.get('constructor')).toBe('y')
    expect(parsed?.parameters.get('a')).toBe('1')
  })

  it.each([
    '',
    'image',
    'image/',
    '/jpeg',
    'image/jpeg garbage',
    'image/jpeg, image/png',
    'image/jpeg; boundary',
    'image/jpeg; =x',
    'image/jpeg; a="unterminated',
    'image/jpeg; a="x"y',
    'image/jpeg; a=b c',
    'image/jp(e)g',
  ])('refuses %j', (header) => {
    expect(parseMediaType(header)).toBeUndefined()
  })

  it('mediaTypeOf is the lower-case essence, or empty for none and for what does not parse', () => {
    expect(mediaTypeOf('Image/JPEG; q=1')).toBe('image/jpeg')
    expect(mediaTypeOf(undefined)).toBe('')
    expect(mediaTypeOf('image/jpeg garbage')).toBe('')
  })
})
