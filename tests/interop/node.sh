# Sourced by run.sh (here and in tests/homeserver/interop/): which Node runs
# the tests.
#
# Always the one package.json pins (the npm package `node`, whose preinstall
# puts a real Node binary in node_modules/node/bin/node): the tests run on the
# Node they were written for whatever the system has (matrix-js-sdk 37.5.0
# needs Node >= 20, Debian 12 ships 18).  The system's node only runs npm.
# Should the bundled binary not run (an architecture npm has no Node for), a
# system node >= 20 is used instead.

# interop_npm_ci: npm ci when node_modules is missing or was installed
# from other package files.  What it was installed from is a hash of
# package.json and package-lock.json kept in node_modules (dates are no
# guide: a new checkout's files are newer than any install).  A symlinked
# node_modules (another checkout's) is never reinstalled through: npm ci
# would empty the other checkout's copy.
interop_npm_ci() {
	local mark=node_modules/.haos-installed want
	want=$(cat package.json package-lock.json | sha256sum)
	want=${want%% *}
	if [[ -x node_modules/.bin/node && -f $mark &&
		$(cat "$mark") == "$want" ]]; then
		return 0
	fi
	if [[ -L node_modules ]]; then
		echo "interop: node_modules is a symlink and was not installed" \
			"from these package files: not reinstalling through it" >&2
		return 1
	fi
	echo "interop: npm ci" >&2
	npm ci --no-audit --no-fund || return 1
	echo "$want" >"$mark"
}

# interop_major NODE: the major version NODE reports, or 0.
interop_major() {
	local v
	v=$("$1" --version 2>/dev/null) || { echo 0; return; }
	v=${v#v}
	v=${v%%.*}
	[[ $v =~ ^[0-9]+$ ]] && echo "$v" || echo 0
}

# interop_node: the path of the Node to run the tests with.
interop_node() {
	local bundled=$PWD/node_modules/.bin/node
	if [[ -x $bundled ]] && (($(interop_major "$bundled") >= 20)); then
		echo "$bundled"
		return
	fi
	if command -v node >/dev/null && (($(interop_major node) >= 20)); then
		echo "interop: node_modules/.bin/node does not run; using $(command -v node)" >&2
		command -v node
		return
	fi
	echo "interop: need Node >= 20: node_modules/.bin/node (npm package" \
		"\`node\`) does not run and the system's node is" \
		"$(node --version 2>/dev/null || echo missing)" >&2
	return 1
}
