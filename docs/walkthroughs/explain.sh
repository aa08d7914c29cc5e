#!/usr/bin/env bash
# Explain a photo every way the API takes one, then the models, the errors and the operations routes, against a
# running edge (`npm start` prints the URL and the key):
#
#   EDGE=http://127.0.0.1:8787 KEY=dev_… docs/walkthroughs/explain.sh
#
# PHOTO: a JPEG/PNG/WebP/GIF/AVIF to explain (default: the tiger cat of ../shared/images/imagenet-samples.tar);
# IMAGE_URL: a photo on the web (https; http on loopback works with `npm start`). Needs curl (>= 7.87) and jq.
# Each step prints what it shows; the script stops at the first answer that is not the expected one.
# tests/e2e/walkthroughs.e2e.test.ts runs it against the real local stack (docs/api.md has the contract).
set -euo pipefail
source "$(dirname "$0")/setup.sh"
# The status of a call whose answer body goes to $work/body (for the error steps, which curl -f would stop).
status_of() { curl -s -o "$work/body" -w '%{http_code}' "$@"; }
# A PNG file's size, or a failure when it is no PNG; the same for WebP (RIFF....WEBP).
png() { [ "$(head -c 4 "$1" | tail -c 3)" = PNG ] && echo "PNG, $(wc -c <"$1") bytes"; }
webp() { [ "$(head -c 12 "$1" | tail -c 4)" = WEBP ] && echo "WebP, $(wc -c <"$1") bytes"; }

step '1. Multipart: the photo as the file field `image`, options as further fields'
curl -sf "${auth[@]}" -F image=@"$PHOTO" -F topK=3 "$EDGE/v1/explain" |
  jq -c '{model, crop, predictions, maps: [.explanations[] | {label: .label, width, height}], cached}'

step '2. Multipart with the options as one JSON field: "why cat and not dog?", with overlays'
curl -sf "${auth[@]}" -F image=@"$PHOTO" -F 'options={"classes":["cat","dog"],"overlay":true}' "$EDGE/v1/explain" |
  jq -c '[.explanations[] | {label: .label, overlay: (.overlay | length)}]'

step '3. The raw photo as the body, options in the query; the first overlay saved (WebP, the default)'
curl -sf "${auth[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" \
  "$EDGE/v1/explain?classes=cat,dog&overlay=true" | jq -r '.explanations[0].overlay' | base64 -d >"$work/cat.webp"
webp "$work/cat.webp"

step '4. The same request again: answered from the edge cache (X-Cache: HIT, inferenceMs 0)'
curl -sf "${auth[@]}" -D "$work/headers" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" \
  "$EDGE/v1/explain?classes=cat,dog&overlay=true" | jq -c '{cached, timings}'
grep -iE '^(x-cache|etag|server-timing|x-request-id):' "$work/headers"
grep -qi '^x-cache: HIT' "$work/headers"

step '5. Classes as a JSON array (the way to name a label that holds a comma), the map saved as a PNG'
curl -sf "${auth[@]}" -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" \
  --url-query 'classes=["cat",5]' "$EDGE/v1/explain" | tee "$work/classes.json" |
  jq -c '[.explanations[] | {classId, label: .label}]'
jq -r '.explanations[0].map' "$work/classes.json" | base64 -d >"$work/map.png"
png "$work/map.png"

step '6. Another pack of the model list: the ViT'
curl -sf "${auth[@]}" -F image=@"$PHOTO" -F model=cifar10-vit "$EDGE/v1/explain" |
  jq -c '{model, predictions: [.predictions[] | {label: .label, score}], mapSize: [.explanations[0] | .width, .height]}'

step '7. By URL: the edge fetches it under the Security rules'
curl -sf "${auth[@]}" -H 'Content-Type: application/json' \
  -d "{\"imageUrl\":\"$IMAGE_URL\",\"topK\":2}" "$EDGE/v1/explain" | jq -c '{image, predictions}'

step '8. The models: the list, the list without labels, one model with its labels'
curl -sf "${auth[@]}" "$EDGE/v1/models" | jq -c '[.models[] | {id, version, numClasses, default, labelsUrl}]'
curl -sf "${auth[@]}" "$EDGE/v1/models?labels=false" | jq -c '[.models[] | has("labels")]'
curl -sf "${auth[@]}" "$EDGE/v1/models/cifar10-cnn" | jq -c .labels

step '9. Errors are problem+json with a code and the request id'
[ "$(status_of -H 'Authorization: Bearer nope' "$EDGE/v1/models")" = 401 ]
jq -c '{status, code, title}' "$work/body"
[ "$(status_of "${auth[@]}" -H 'Content-Type: image/jpeg' -d 'this is text, not a photograph' "$EDGE/v1/explain")" = 422 ]
jq -c '{status, code, detail}' "$work/body"
[ "$(status_of "${auth[@]}" "$EDGE/v1/explain")" = 405 ]
jq -c '{status, code, detail}' "$work/body"

step '10. Operations, no key: liveness, the OpenAPI document, the rendered reference'
curl -sf "$EDGE/healthz"
echo
curl -sf "$EDGE/openapi.json" | jq -c '{openapi, title: .info.title, operations: [.paths[] | keys[]] | length}'
[ "$(status_of "$EDGE/docs")" = 200 ]
echo "/docs: 200"
