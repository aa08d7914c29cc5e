#!/usr/bin/env bash
# A batch job's life against a running edge (`npm start` prints the URL and the key): a signed upload, the upload
# used by /v1/explain, a job over uploads and URLs with a webhook and an Idempotency-Key, its status, its results
# page by page, and a cancelled job.
#
#   EDGE=http://127.0.0.1:8787 KEY=dev_… docs/walkthroughs/jobs.sh
#
# PHOTO: the image to upload (default: the tiger cat of ../shared/images/imagenet-samples.tar); IMAGE_URL: a photo
# on the web for the job's second item; WEBHOOK_URL: where the job's signed event goes (https; http on loopback
# works with `npm start`). Needs curl and jq. tests/e2e/walkthroughs.e2e.test.ts runs it against the real stack.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
WEBHOOK_URL=${WEBHOOK_URL:-https://hooks.example.com/t-tame}
json=(-H 'Content-Type: application/json')

step '1. Ask for an upload URL: the exact type, and the size in bytes (the most the PUT may send)'
curl -sf "${auth[@]}" "${json[@]}" "$EDGE/v1/uploads" \
  -d "{\"contentType\":\"image/jpeg\",\"contentLength\":$(wc -c <"$PHOTO")}" | tee "$work/grant.json" | jq -c .
upload_id=$(jq -r .uploadId "$work/grant.json")
upload_url=$(jq -r .uploadUrl "$work/grant.json")

step '2. PUT the bytes to it, without the API key: 204; the same URL again: 409'
put() { curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: image/jpeg' --data-binary @"$PHOTO" "$upload_url"; }
[ "$(put)" = 204 ] && echo 204
[ "$(put)" = 409 ] && echo 409

step '3. The upload id works wherever an image does'
curl -sf "${auth[@]}" "${json[@]}" "$EDGE/v1/explain" -d "{\"uploadId\":\"$upload_id\",\"topK\":3}" |
  jq -c '{id, predictions: [.predictions[] | .label]}'

step '4. A job over the upload and a URL, with a webhook; the same Idempotency-Key again answers the same job'
body=$(jq -nc --arg upload "$upload_id" --arg url "$IMAGE_URL" --arg hook "$WEBHOOK_URL" '{
  items: [ { uploadId: $upload }, { imageUrl: $url, classes: ["cat", "dog"] } ],
  webhook: { url: $hook }, metadata: { batch: "nightly" } }')
idempotency=(-H "Idempotency-Key: walkthrough-$(date +%s%N)")
curl -sf "${auth[@]}" "${json[@]}" "${idempotency[@]}" "$EDGE/v1/jobs" -d "$body" | tee "$work/job.json" | jq -c .
job=$(jq -r .jobId "$work/job.json")
curl -sf "${auth[@]}" "${json[@]}" "${idempotency[@]}" -D "$work/headers" "$EDGE/v1/jobs" -d "$body" | jq -c '{jobId}'
grep -i '^idempotent-replayed: true' "$work/headers"
# Keep webhookSecret: it is shown only here (and in replays of this same request).

step '5. The status, until both items are explained and the webhook has had its first attempt'
for _ in $(seq 120); do
  curl -sf "${auth[@]}" "$EDGE/v1/jobs/$job" >"$work/status.json"
  jq -e '.status == "completed" and (.webhook.deliveries | length) > 0' "$work/status.json" >/dev/null && break
  sleep 0.5
done
jq -c '{status, counts, webhook: {state: .webhook.state, deliveries: [.webhook.deliveries[] | {attempt, status, responseStatus}]}}' \
  "$work/status.json"
jq -e '.status == "completed"' "$work/status.json" >/dev/null

step '6. The results, one item a page: nextCursor leads to the next page, null after the last'
cursor=
while :; do
  curl -sf "${auth[@]}" "$EDGE/v1/jobs/$job/results?limit=1${cursor:+&cursor=$cursor}" >"$work/page.json"
  jq -c '.items[] | {index, status, predictions: [.result.predictions[]?.label]}' "$work/page.json"
  cursor=$(jq -r '.nextCursor // empty' "$work/page.json")
  [ -n "$cursor" ] || break
done

step '7. A job cancelled at once: what has not started is cancelled, and no webhook event is sent'
items=$(jq -nc --arg upload "$upload_id" '[range(20) | { uploadId: $upload, topK: 1 }]')
cancel=$(curl -sf "${auth[@]}" "${json[@]}" "$EDGE/v1/jobs" -d "{\"items\":$items}" | jq -r .jobId)
curl -sf "${auth[@]}" -X DELETE "$EDGE/v1/jobs/$cancel" | jq -c '{status, counts}'
