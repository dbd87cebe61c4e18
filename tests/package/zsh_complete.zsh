# What zsh's completion offers for a command line, one match a line: an interactive zsh in a
# pseudo-terminal (zpty) with compinit and the completion folder on fpath gets the line and a TAB;
# compadd is wrapped so that every match any completion function adds is written to a file.
# Usage: zsh -f zsh_complete.zsh COMPLETION_DIR WORK_DIR LINE   (gdp must be on PATH)
zmodload zsh/zpty || exit 1
fpath_dir=$1 dir=$2 line=$3
: >$dir/matches
zpty gdp_zsh zsh -f -i
# The prompt is a marker: the line editor has started, and reads keys, once it is shown.
zpty -w gdp_zsh "PS1='<P''S1>'; RPS1=; unsetopt beep; fpath=(${(q)fpath_dir} \$fpath)"
zpty -w gdp_zsh "autoload -U compinit; compinit -u -d ${(q)dir}/zcompdump"
zpty -w gdp_zsh "compadd() { local -a m; builtin compadd -O m \"\$@\"; print -rl -- \$m >>${(q)dir}/matches; builtin compadd \"\$@\"; }"
# The echo of this line shows RE""ADY; only its output matches: compinit has finished. Then the
# next prompt: keys typed before the line editor starts could be taken before completion is set.
zpty -w gdp_zsh 'print RE""ADY'
zpty -r gdp_zsh output '*READY*<PS1>*' || exit 1
zpty -w -n gdp_zsh "$line"$'\t'
# Keys typed after the TAB wait until the completion has finished: then the line is killed (^U)
# and a command run whose output says so.
zpty -w gdp_zsh $'\C-uprint DO""NE'
zpty -r gdp_zsh output '*DONE*' || exit 1
zpty -d gdp_zsh
grep -v '^$' $dir/matches | sort -u
