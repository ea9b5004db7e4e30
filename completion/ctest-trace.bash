# bash completion for ctest-trace(1): commands, flags, their values, files.
# Installed as $datadir/bash-completion/completions/ctest-trace; it needs
# nothing from the bash-completion package. The harness
# (tests/harness/test_man_and_completion.py) checks it offers every flag of
# `ctest-trace -h`.

# Flags of a run and of each command: a trailing '=' takes a value.
_ctest_trace_run_flags='--trace= --trace-dir= -run -skip -v -count -list -failfast -shuffle= -p
--shard= --timeout= --timeout-total=
--junit= --junit-dir= --attach-dir= --attach-report --flight-recorder= --assert= --assert-file=
--save-baseline= --baseline= --max-regression= --alpha= --overflow= --follow-children=
--otlp-endpoint= --json --format=
-h --help --version'
_ctest_trace_commands='stats tasks regions threads export profile report compare merge help version'

# _ctest_trace_flags COMMAND: the flags COMMAND takes.
_ctest_trace_flags()
{
    case $1 in
    stats) echo '-h --help' ;;
    tasks | regions | threads) echo '--json -h --help' ;;
    export) echo '--format= -o -h --help' ;;
    profile) echo '--type= --format= --test= --task= --region= -o -h --help' ;;
    compare) echo '--max-regression= --alpha= -v -h --help' ;;
    merge | report) echo '-o -h --help' ;;
    *) echo "$_ctest_trace_run_flags" ;;
    esac
}

# _ctest_trace_values COMMAND FLAG CUR: complete FLAG's value CUR into
# COMPREPLY (words only, whatever COMP_WORDBREAKS does with '=').
_ctest_trace_values()
{
    local cmd=$1 flag=${2#-} cur=$3
    flag=${flag#-}
    case $flag in
    format)
        case $cmd in
        export) mapfile -t COMPREPLY < <(compgen -W 'chrome jsonl otlp perfetto' -- "$cur") ;;
        profile) mapfile -t COMPREPLY < <(compgen -W 'pprof folded' -- "$cur") ;;
        *) mapfile -t COMPREPLY < <(compgen -W 'text json tap' -- "$cur") ;;
        esac ;;
    type) mapfile -t COMPREPLY < <(compgen -W 'sync syscall net sched' -- "$cur") ;;
    overflow) mapfile -t COMPREPLY < <(compgen -W 'wait drop' -- "$cur") ;;
    shuffle | follow-children) mapfile -t COMPREPLY < <(compgen -W 'on off' -- "$cur") ;;
    trace-dir | junit-dir | attach-dir) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    trace | junit | assert-file | save-baseline | baseline | o)
        mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    *) COMPREPLY=() ;; # a regex, a count, a duration, a rule: nothing to offer
    esac
}

_ctest_trace()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local cmd='' i word flags
    COMPREPLY=()
    # The command is the first word, when it names one; a run's words after
    # "--" are a binary and its arguments: files.
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ $word == -- ]]; then
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
        fi
        if ((i == 1)) && [[ " $_ctest_trace_commands " == *" $word "* ]]; then
            cmd=$word
        fi
    done
    flags=$(_ctest_trace_flags "$cmd")

    # A value after '=': "--format=ta" is one word, or three when '=' breaks words.
    if [[ $cur == = ]]; then
        _ctest_trace_values "$cmd" "$prev" ''
        return
    fi
    if [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
        _ctest_trace_values "$cmd" "${COMP_WORDS[COMP_CWORD - 2]}" "$cur"
        return
    fi
    if [[ $cur == -*=* ]]; then
        _ctest_trace_values "$cmd" "${cur%%=*}" "${cur#*=}"
        COMPREPLY=("${COMPREPLY[@]/#/${cur%%=*}=}")
        return
    fi
    # A value as the next word: a flag of ours that takes one, written without '='.
    if [[ $prev == -* && " $flags " == *" ${prev}= "* ]] ||
        [[ " -o -run -skip -count " == *" $prev "* ]]; then
        _ctest_trace_values "$cmd" "$prev" "$cur"
        return
    fi

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$flags" -- "$cur")
        # "--format=" waits for its value
        if [[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *= ]]; then
            compopt -o nospace 2>/dev/null
        fi
        return
    fi
    if [[ -z $cmd ]] && ((COMP_CWORD == 1)); then
        mapfile -t COMPREPLY < <(compgen -W "$_ctest_trace_commands" -- "$cur")
    fi
    # binaries, traces, JUnit files, baselines
    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
}

complete -F _ctest_trace ctest-trace
