/** Shell scripts the SSH connection runs remotely (bash, started by the login shell). */

// One line, no newlines: the login shell may be csh. Globs expand like the local side's.
export const DOWNLOAD =
  `cd "$1" 2>/dev/null || exit 3; shift; shopt -s nullglob dotglob globstar; IFS=; ` +
  `found=(); for p in "$@"; do if [[ $p == *[*?[]* ]]; then m=( $p ); elif [[ -e $p ]]; then ` +
  `m=( "$p" ); else m=(); fi; if (( \${#m[@]} )); then found+=( "\${m[@]}" ); else ` +
  `printf 'dpd-missing %s\\n' "$p" >&2; fi; done; (( \${#found[@]} )) || exit 0; ` +
  `exec tar -c -h -f - -- "\${found[@]}"`;

// Prints "<index>\0<content>\0" for each readable file among the arguments, with builtins only.
export const READ_MANY = `i=0; for f in "$@"; do if [ -f "$f" ] && [ -r "$f" ]; then c=; ` +
  `IFS= read -r -d '' c < "$f"; printf '%s\\0%s\\0' "$i" "$c"; fi; i=$((i+1)); done; true`;
