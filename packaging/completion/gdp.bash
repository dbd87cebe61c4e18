# bash completion for gdp(1)                                   -*- shell-script -*-
# Installed as share/bash-completion/completions/gdp, loaded by bash-completion on first use.
# Every command of `gdp --help` is listed here (tests/package/completion_test.sh checks it).

# The options of each command; those that take a value are in _gdp_valued below.
_gdp_options() {
    local source='--method --by --seed --sample-size --yes-large'
    local follow='--project --confirm-restricted --quiet --verbose'
    case $1 in
        ping | version | doctor) ;;
        status | log | cancel) echo --project ;;
        snapshot | plan) echo "$source" ;;
        cleanup) echo --older-than --project ;;
        submit) echo "$source $follow --output --detach" ;;
        attach) echo "$follow" ;;
        resume) echo "$follow --detach" ;;
        approve) echo --step --version --confirm-restricted --project ;;
        deny) echo --step --version --reason --project ;;
        edit) echo --step --project ;;
        show) echo --step --analysis --sent --project ;;
    esac
}
_gdp_commands='ping version status snapshot plan cleanup submit attach approve deny edit show log
    resume cancel key config doctor'
_gdp_session_commands=' attach approve deny edit show log resume cancel status '

# Session ids from the running gdpd (`gdp --json status`), asked with a short timeout so that a
# missing daemon never stalls the shell. No JSON tool is assumed: the ids are plain words.
_gdp_sessions() {
    gdp "$@" --json --timeout 2 status 2>/dev/null |
        grep -o '"session_id":"[^"]*"' | sed 's/^"session_id":"//; s/"$//'
}

_gdp() {
    local cur prev words cword
    _init_completion || return

    # The command is the first word that is neither an option nor an option's value.
    local i command='' command_at=0 socket=()
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --socket | --timeout)
                [[ ${words[i]} == --socket ]] && socket=(--socket "${words[i + 1]}")
                ((i++))
                ;;
            -*) ;;
            *)
                command=${words[i]}
                command_at=$i
                break
                ;;
        esac
    done

    case $prev in
        --socket) _filedir; return ;;
        --project | --output) _filedir -d; return ;;
        --method) mapfile -t COMPREPLY < <(compgen -W 'random first_n stratified' -- "$cur"); return ;;
        --timeout | --by | --seed | --sample-size | --step | --version | --reason | --older-than)
            [[ -n $command || $prev != --version ]] && return ;;
    esac

    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W '--help --version --socket --json --timeout' -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$_gdp_commands" -- "$cur")
        fi
        return
    fi

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_gdp_options "$command") --help --json" -- "$cur")
        return
    fi

    # The words after the command that are not options: what this word would be.
    local positional=0
    for ((i = command_at + 1; i < cword; i++)); do
        case ${words[i]} in
            --socket | --timeout | --project | --output | --method | --by | --seed | --sample-size | \
                --step | --version | --reason | --older-than) ((i++)) ;;
            -*) ;;
            *) ((positional++)) ;;
        esac
    done
    ((positional == 0)) || return

    case $command in
        key) mapfile -t COMPREPLY < <(compgen -W 'set clear status' -- "$cur") ;;
        config) mapfile -t COMPREPLY < <(compgen -W 'show' -- "$cur") ;;
        submit | snapshot | plan) _filedir ;;
        *)
            if [[ $_gdp_session_commands == *" $command "* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$(_gdp_sessions "${socket[@]}")" -- "$cur")
            fi
            ;;
    esac
} &&
    complete -F _gdp gdp

# ex: filetype=sh
