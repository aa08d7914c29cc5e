# Sourced by the walk-throughs: the edge and key they need, a scratch folder, the photo, and the step banner.
: "${EDGE:?set EDGE to the edge URL, e.g. http://127.0.0.1:8787}" "${KEY:?set KEY to the API key npm start prints}"
IMAGE_URL=${IMAGE_URL:-https://upload.wikimedia.org/wikipedia/commons/3/3a/Cat03.jpg}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${PHOTO:-}" ]; then
  tar -xf "$(dirname "${BASH_SOURCE[0]}")/../../../shared/images/imagenet-samples.tar" -C "$work" n02123159_tiger_cat.JPEG
  PHOTO=$work/n02123159_tiger_cat.JPEG
fi
auth=(-H "Authorization: Bearer $KEY")
step() { printf '\n== %s\n' "$*"; }
