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
# Every .Fl -NAME in the man page must be a real option (the client
# commands' list documents their flags; the table checks those below).
outside=$(awk '/^\.It Ic \//{c=1} c && /^\.El/{c=0; next} !c' "$man")
for opt in $(grep -oE 'Fl -[a-z][a-z-]+' <<<"$outside" | sed 's/Fl //' | sort -u); do
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
# Every client command and subcommand of cmd_table, with its long flags,
# has its ".It Ic /name sub ... Fl -flag" in the man page, and the page
# lists no other: the unit test case "man" compares them (cmd_doc_lines).
root=$(cd "$(dirname "$0")/.." && pwd)
check=${HAOS_CHECK:-$root/.build/default/check_haos}
if [ ! -x "$check" ]; then
	echo "check-docs: $check is not built (make $check)"; fail=1
elif ! out=$(CK_RUN_SUITE=cmd CK_RUN_CASE=man HAOS_MAN="$man" \
    HAOS_FIXTURES="$root/tests/fixtures" "$check" 2>&1); then
	echo "check-docs: client commands differ from cmd_table:"
	grep -E ':[FE]:' <<<"$out" | sed 's/^/  /'; fail=1
fi
[ $fail = 0 ] && echo "check-docs: --help, config keys, client commands and $man agree"
exit $fail
