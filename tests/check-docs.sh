#!/usr/bin/env bash
# The man page documents exactly the options and commands that --help lists.
set -euo pipefail
bin=$1 man=$2
help=$("$bin" --help)
fail=0
# Long options from --help must each appear as .Fl -NAME in the man page.
for opt in $(grep -oE -- '--[a-z][a-z-]+' <<<"$help" | sort -u); do
	if ! grep -qE "^\.(It|Nm|Op).*Fl -${opt#--}( |$)|Fl -${opt#--}\b" "$man"; then
		echo "check-docs: $opt is in --help but not in $man"; fail=1
	fi
done
# Every .Fl -NAME in the man page must be a real option.
for opt in $(grep -oE 'Fl -[a-z][a-z-]+' "$man" | sed 's/Fl //' | sort -u); do
	if ! grep -qE -- "$opt( |$)" <<<"$help"; then
		echo "check-docs: $opt is in $man but not in --help"; fail=1
	fi
done
# Commands: the Commands section of --help against .It Cm in COMMANDS.
cmds_help=$(sed -n '/^Commands:/,/^$/p' <<<"$help" | awk 'NR>1 && NF && $1 !~ /^[(]/ {print $1}' | sort)
cmds_man=$(sed -n '/^\.Sh COMMANDS/,/^\.Sh /p' "$man" | grep -E '^\.It Cm ' | awk '{print $3}' | sort)
if [ "$cmds_help" != "$cmds_man" ]; then
	echo "check-docs: commands differ: --help [$cmds_help] man [$cmds_man]"; fail=1
fi
# Every config key appears in the man page.
for key in $("$bin" --dump-config | grep -oE '^#?[a-z_]+ =' | tr -d '#=' ); do
	grep -q "Ic $key" "$man" || { echo "check-docs: config key $key missing from $man"; fail=1; }
done
# Every client command of cmd_table (one .name per entry in src/cmd/) has
# an ".It Ic /name" in the man page, and the page lists no other.
root=$(cd "$(dirname "$0")/.." && pwd)
cmds_src=$(grep -ho '^	\.name = "[a-z-]*"' "$root"/src/cmd/*.c | sed 's/.*"\(.*\)"/\1/' | sort)
cmds_page=$(grep -oE '^\.It Ic /[a-z-]+' "$man" | sed 's|.*/||' | sort)
if [ -z "$cmds_src" ] || [ "$cmds_src" != "$cmds_page" ]; then
	echo "check-docs: client commands differ: cmd_table [$(echo $cmds_src)] man [$(echo $cmds_page)]"; fail=1
fi
[ $fail = 0 ] && echo "check-docs: --help, config keys, client commands and $man agree"
exit $fail
