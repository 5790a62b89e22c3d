# bash completion for tapstack(1); installed by `make install` to
# share/bash-completion/completions/tapstack.  The option lists are those of
# each command's --help (tests/unit/t_install.sh checks them against it).

_tapstack()
{
	local cur prev words cword
	_init_completion 2>/dev/null || {
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	}
	local common="--tap --host-ip --ip --ip6 --gw --mac --mtu --pcap --pcapng --trace --faults --stats
		--offload --io --cc --help --version"
	local cmd="" i
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		serve | get | ping | sim | setup) cmd=${words[i]}; break ;;
		-*) ;;
		*) ;;
		esac
	done

	case $prev in
	--tap)
		COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"))
		return ;;
	--pcap | --pcapng | -o)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--trace)
		COMPREPLY=($(compgen -W "layers api tcp sched all" -- "$cur"))
		return ;;
	--offload)
		COMPREPLY=($(compgen -W "auto none csum tso" -- "$cur"))
		return ;;
	--io)
		COMPREPLY=($(compgen -W "auto uring plain" -- "$cur"))
		return ;;
	--cc)
		COMPREPLY=($(compgen -W "cubic reno" -- "$cur"))
		return ;;
	--model)
		COMPREPLY=($(compgen -W "events tasks" -- "$cur"))
		return ;;
	--user)
		COMPREPLY=($(compgen -u -- "$cur"))
		return ;;
	--group)
		COMPREPLY=($(compgen -g -- "$cur"))
		return ;;
	--host-ip | --ip | --ip6 | --gw | --mac | --mtu | --faults | --http-port | --http-idle-timeout | \
		--http-header-timeout | --seed | --time-limit | -c | -s | -i | -W)
		return ;;
	esac

	local opts
	case $cmd in
	"" | serve) opts="$common --http-port --http-idle-timeout --http-header-timeout --model" ;;
	get) opts="$common -o" ;;
	ping) opts="$common -c -s -i -W" ;;
	sim) opts="--seed --faults --pcap --pcapng --trace --mtu --time-limit --stats --help" ;;
	setup) opts="--user --group --tap --host-ip --mtu --remove --help" ;;
	esac
	if [[ -z $cmd && $cur != -* ]]; then
		COMPREPLY=($(compgen -W "serve get ping sim setup" -- "$cur"))
		return
	fi
	if [[ $cmd == sim && $cur != -* ]]; then
		COMPREPLY=($(compgen -W "get bytes ping echo udp" -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _tapstack tapstack
