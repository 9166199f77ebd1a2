#!/usr/bin/env bash
# Fails when an #include points up or sideways in the layer order of
# docs/ARCHITECTURE.md:
#
#   core  <-  codec  <-  storage, http  <-  channels  <-  actors  <-  gateway  <-  apps
#
# A file may include its own folder and any folder of a lower layer; folders
# of one layer do not include each other. channels/<name>/ (one folder per
# payment channel) counts as channels/: a channel may use http/ and CAF, and
# never actors/ or gateway/. tests/, bench/, fuzz/ and sim/ are
# not layered (they may include anything) and nothing layered may include
# them. Quoted includes of other roots ("oncepay.pb.h", "google/protobuf/...")
# are not ours to order. Run by scripts/test.sh and by CTest (check_layers).
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A LAYER=(
  [core]=0
  [codec]=1
  [storage]=2 [http]=2
  [channels]=3
  [actors]=4
  [gateway]=5
  [apps]=6
  # Not layered: never included from a layered folder.
  [tests]=99 [bench]=99 [fuzz]=99 [sim]=99
)

# Allowed exceptions, "file -> folder" with the reason. Keep this empty unless
# there is no other way.
declare -A EXCEPTIONS=()

status=0
for dir in core codec storage http channels actors gateway apps; do
  [ -d "$dir" ] || continue
  own=${LAYER[$dir]}
  while IFS= read -r file; do
    while IFS=: read -r line target; do
      top=${target%%/*}
      [ "$top" = "$target" ] && continue  # no folder: generated or third-party
      [ -n "${LAYER[$top]+x}" ] || continue  # another root: third-party
      [ "$top" = "$dir" ] && continue
      theirs=${LAYER[$top]}
      if [ "$theirs" -lt "$own" ]; then continue; fi
      if [ -n "${EXCEPTIONS["$file -> $top"]+x}" ]; then continue; fi
      how="up"
      [ "$theirs" -eq "$own" ] && how="sideways"
      echo "$file:$line: includes \"$target\": $dir/ (layer $own) points $how to $top/ (layer $theirs)" >&2
      status=1
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" |
             sed -E 's/^([0-9]+):[^"]*"([^"]*)".*/\1:\2/')
  done < <(find "$dir" -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) | sort)
done

if [ "$status" -ne 0 ]; then
  echo "check-layers: the includes above break the layer order (docs/ARCHITECTURE.md)" >&2
fi
exit "$status"
