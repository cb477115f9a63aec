//! A script written for tmux, run unchanged against tmux 3.3 and against
//! `moshmux-server` (only the program's name differs): the scripting subset
//! (`new-session -d`, `has-session`, `rename-session`, `kill-window`, `-F` on `ls`,
//! `list-windows` and `list-panes`, `display-message -p`), `resize-pane`'s geometry, and
//! `new-window -n`, `-d` and `-c`, moving between windows and panes (`select-window
//! -n/-p/-l`, `next-window`,
//! `last-window`, `last-pane`, `select-pane -l`, `kill-pane -a`), and `split-window -l`
//! and `-c` (a directory or a format) answer line for line the same; and so do the preset
//! layouts (`select-layout`, `next-layout`, `previous-layout`) at three window sizes,
//! `swap-pane` and `rotate-window`, `break-pane`, `join-pane`, `swap-window` and
//! `move-window`, the paste buffers, `respawn-pane`, `respawn-window`, and `new-window`
//! at an index, `-a`, `-b` and `-k`, and `set-environment` and `show-environment`.

use moshmux_tests::harness::scripts::run_both;

/// `$T` is the program: `tmux -S SOCKET -f /dev/null` or `moshmux-server`. Every line
/// prints something that depends on what the commands before it did. Windows that names
/// are printed of are named: tmux may name a fresh window after its own forked process
/// for a moment before the automatic rename.
const SCRIPT: &str = r##"
set -u
T="$1"
$T new-session -d -s work -x 80 -y 24 sh
$T rename-window -t work:0 main
$T split-window -h -t work -- sh
$T split-window -v -p 30 -t work:0.1 -- sh
$T resize-pane -t work:0.0 -R 5
$T resize-pane -t work:0.2 -U 3
$T resize-pane -t work:0.1 -x 30
$T resize-pane -t work:0.1 -y 50%
$T resize-pane -t work:0.0 -D 2
$T new-window -t work -- sh
$T rename-window -t work:1 logs
$T new-session -d -s other -x 100 -y 30 sh
$T rename-window -t other:0 side
$T has-session -t work; echo "has work: $?"
$T has-session -t nope 2>/dev/null; echo "has nope: $?"
$T ls -F '#{session_name}: #{session_windows} windows #{?session_attached,attached,detached} #W'
$T list-windows -t work -F '#I #{window_name} #{window_panes} #{window_active} #{window_width}x#{window_height} #{pane_index}'
$T list-panes -t work:0 -F '#P #{pane_width}x#{pane_height} #{pane_left},#{pane_top} #{pane_right},#{pane_bottom} #{pane_active} #{pane_current_command}'
$T list-panes -s -t work -F '#{window_index}.#{pane_index} #{pane_width}x#{pane_height} #{?pane_active,*,-}'
$T list-panes -a -F '#{session_name}:#{window_index}.#{pane_index} #{=3:window_name}'
$T display-message -p -t work:0.1 '#S:#I.#P #{pane_width}x#{pane_height} #{?#{==:#{window_name},logs},logs,not logs}'
$T display-message -p -t work:1 '#{window_name} #{==:#{pane_current_path},'"$PWD"'} ##'
$T kill-window -t work:1
$T rename-session -t work play
$T list-windows -a -F '#{session_name}:#{window_index} #{window_panes} #{window_active}'
$T has-session -t work 2>/dev/null; echo "has work after rename: $?"
$T new-window -t play -- sh
$T new-window -t play -- sh
$T select-window -t play:0
$T list-windows -t play -F '#I #{window_flags} #{window_last_flag}'
$T last-window -t play
$T next-window -t play
$T list-windows -t play -F '#I #{window_flags}'
$T previous-window -t play
$T select-window -p -t play
$T select-window -l -t play
$T list-windows -t play -F '#I #{window_flags}'
$T select-window -t play:0
$T select-pane -t play:0.0
$T last-pane -t play:0
$T list-panes -t play:0 -F '#P #{pane_active}'
$T select-pane -l -t play:0
$T kill-pane -a -t play:0.1
$T list-panes -t play:0 -F '#P #{pane_width}x#{pane_height} #{pane_active}'
$T list-windows -t play -F '#I #{window_flags}'
$T split-window -h -l 10 -t play:0.0 -- sh
$T split-window -v -l 30% -c '#{pane_current_path}' -t play:0.0 -- sh
$T split-window -v -c /usr -t play:0.2 -- sh
$T list-panes -t play:0 -F '#P #{pane_width}x#{pane_height} #{pane_left},#{pane_top} #{pane_active}'
$T display-message -p -t play:0.1 '#{==:#{pane_current_path},'"$PWD"'}'
$T display-message -p -t play:0 '#{pane_current_path}'
$T kill-session -t play
$T new-window -d -n quiet -t other -- sh
$T new-window -c /usr -t other -- sh
$T new-window -n named -c '#{pane_current_path}' -t other -- sh
$T list-windows -t other -F '#I #{?#{==:#{window_name},quiet},quiet,#{?#{==:#{window_name},named},named,auto}} #{window_active}'
$T display-message -p -t other:2 '#{pane_current_path}'
$T display-message -p -t other:3 '#{==:#{pane_current_path},'"$PWD"'}'
$T ls -F '#{session_name} #{window_width}x#{window_height}'
"##;

/// Every preset layout on windows of 2 to 7 panes at three sizes (the main pane's
/// default size fits only the largest), then `next-layout`, `previous-layout` and
/// `select-layout`'s `-n`, `-p`, no name (the last again) and a name's prefix; then
/// `split-window` with `-b` and `-f` and `join-pane` with `-b`, with and without `-l`.
const LAYOUT_SCRIPT: &str = r##"
set -u
T="$1"
for size in 80x24 100x30 200x60; do
  $T new-session -d -s "s$size" -x "${size%x*}" -y "${size#*x}" sh
  for n in 2 3 4 5 6 7; do
    $T select-layout -t "s$size:0" tiled
    $T split-window -t "s$size:0" -- sh
    for layout in even-horizontal even-vertical main-horizontal main-vertical tiled; do
      $T select-layout -t "s$size:0" $layout
      echo "$size $n $layout:" $($T list-panes -t "s$size:0" -F '#{pane_left},#{pane_top},#{pane_width}x#{pane_height}')
    done
  done
done
W=s80x24:0
$T kill-pane -t $W.6
for step in "next-layout -t $W" "next-layout -t $W" "previous-layout -t $W" "select-layout -n -t $W" "select-layout -p -t $W" "select-layout -p -t $W" "select-layout -t $W" "select-layout -t $W main-v" "select-layout -t $W t"; do
  $T $step
  echo "$step:" $($T list-panes -t $W -F '#{pane_left},#{pane_top},#{pane_width}x#{pane_height}')
done
$T new-session -d -s bf -x 80 -y 24 sh
show() {
  echo "$1:" $($T list-panes -t bf:0 -F '#P #{pane_left},#{pane_top},#{pane_width}x#{pane_height} #{pane_active}')
}
$T split-window -b -t bf:0 -- sh; show "split-window -b"
$T split-window -f -t bf:0.0 -- sh; show "-f"
$T split-window -h -f -l 30% -t bf:0.2 -- sh; show "-h -f -l 30%"
$T split-window -h -b -l 20 -t bf:0.1 -- sh; show "-h -b -l 20"
$T split-window -h -b -f -t bf:0.0 -- sh; show "-h -b -f"
$T split-window -b -l 40% -t bf:0.3 -- sh; show "-b -l 40%"
$T new-window -t bf -- sh
$T join-pane -b -s bf:1.0 -t bf:0.1; show "join-pane -b"
$T new-window -t bf -- sh
$T join-pane -h -b -l 10 -s bf:1.0 -t bf:0.0; show "join-pane -h -b -l 10"
for pane in 1 1 1 4 4 0 6; do
  $T select-layout -E -t bf:0.$pane; show "select-layout -E -t bf:0.$pane"
done
"##;

/// swap-pane (`-U`, `-D` wrapping around, `-s`/`-t`, `-d`) and rotate-window (`-U`,
/// `-D`) on four panes running different programs, so each pane can be told apart by
/// its command; then last-pane, which the active pane's moves set.
const SWAP_SCRIPT: &str = r##"
set -u
T="$1"
$T new-session -d -s sw -x 80 -y 24 sh
$T split-window -h -t sw:0 -- sleep 1000
$T split-window -v -t sw:0.1 -- tail -f /dev/null
$T split-window -v -t sw:0.0 -- cat -u
sleep 1
show() {
  echo "$1:" $($T list-panes -t sw:0 -F '#P #{pane_current_command} #{pane_left},#{pane_top},#{pane_width}x#{pane_height} #{pane_active}')
}
show start
$T swap-pane -U -t sw:0.2; show "swap-pane -U -t 2"
$T swap-pane -D -t sw:0.3; show "swap-pane -D -t 3"
$T swap-pane -s sw:0.0 -t sw:0.2; show "swap-pane -s 0 -t 2"
$T swap-pane -d -D -t sw:0.1; show "swap-pane -d -D -t 1"
$T select-pane -t sw:0.3
$T swap-pane -d -U -t sw:0.3; show "swap-pane -d -U -t 3 (active)"
$T rotate-window -t sw:0; show "rotate-window"
$T rotate-window -D -t sw:0; show "rotate-window -D"
$T rotate-window -D -t sw:0; show "rotate-window -D again"
$T last-pane -t sw:0; show "last-pane"
"##;

/// break-pane (`-d`, `-n`, `-s`), join-pane (`-h`, `-d`, into the pane's own window and
/// another), swap-window (`-d`, without `-s`; the current index stays current) and
/// move-window (`-d`, `-r`, without `-s`, onto a window: an error), each followed by
/// the windows and panes with their sizes and flags; then kill-window -a and
/// kill-session -a.
const MOVES_SCRIPT: &str = r##"
set -u
T="$1"
$T new-session -d -s mv -x 80 -y 24 sh
$T rename-window -t mv:0 zero
$T split-window -h -t mv:0 -- sleep 1000
$T split-window -v -t mv:0.1 -- tail -f /dev/null
$T new-window -d -n one -t mv -- cat -u
sleep 1
show() {
  echo "$1:" $($T list-windows -t mv -F '#I #W #{window_panes} #{window_active}#{?window_last_flag,-,}') "|" $($T list-panes -s -t mv -F '#I.#P #{pane_current_command} #{pane_width}x#{pane_height} #{pane_active}')
}
show start
$T break-pane -s mv:0.1; show "break-pane -s 0.1"
$T break-pane -d -n broke -s mv:0.1; show "break-pane -d -n broke -s 0.1"
$T join-pane -h -s mv:2 -t mv:0.0; show "join-pane -h -s 2 -t 0.0"
$T join-pane -d -s mv:1.0 -t mv:0.1; show "join-pane -d -s 1.0 -t 0.1"
$T swap-window -s mv:0 -t mv:3; show "swap-window -s 0 -t 3"
$T swap-window -d -s mv:3 -t mv:0; show "swap-window -d -s 3 -t 0"
$T move-window -s mv:3 -t mv:7; show "move-window -s 3 -t 7"
$T move-window -d -s mv:0 -t mv:5; show "move-window -d -s 0 -t 5"
$T move-window -r -t mv; show "move-window -r"
$T new-session -d -s sw -x 80 -y 24 sh
$T new-window -d -n one -t sw -- cat -u
$T new-window -d -n two -t sw -- sleep 1000
$T new-window -d -n three -t sw -- tail -f /dev/null
sleep 0.5
show_sw() {
  echo "$1:" $($T list-windows -t sw -F '#I #W #{window_active}#{?window_last_flag,-,}')
}
show_sw start
$T swap-window -s sw:1 -t sw:2; show_sw "swap -s 1 -t 2 (active 0)"
$T swap-window -s sw:3 -t sw:0; show_sw "swap -s 3 -t 0 (active 0)"
$T select-window -t sw:1; show_sw "select 1"
$T swap-window -s sw:1 -t sw:2; show_sw "swap -s 1 -t 2 (active 1)"
$T swap-window -s sw:3 -t sw:2; show_sw "swap -s 3 -t 2 (active 2)"
$T swap-window -d -s sw:0 -t sw:1; show_sw "swap -d -s 0 -t 1"
$T swap-window -t sw:3; show_sw "swap -t 3 (no -s)"
$T move-window -t sw:9; show_sw "move -t 9 (no -s)"
$T move-window -s sw:9 -t sw:1 2>&1; echo "move onto 1: $?"; show_sw "move -s 9 -t 1"
$T move-window -s sw:0 -t sw:1 2>&1; echo "move onto a window: $?"
$T new-window -d -n extra -t sw -- sh
$T kill-window -a -t sw:3
echo "kill-window -a -t sw:3:" $($T list-windows -t sw -F '#I #W #{window_active}')
$T new-session -d -s other -x 80 -y 24 sh
$T kill-session -a -t sw
echo "kill-session -a -t sw:" $($T ls -F '#{session_name}')
"##;

/// Moves between sessions of different sizes: move-window (to an index, to the lowest
/// free one, -d, -k), swap-window, join-pane and break-pane -t (-a, -b), each followed by every
/// window and pane of every session with its size and id; a session whose last window
/// or pane leaves ends; tmux's refusals with their exit codes.
const CROSS_SESSION_SCRIPT: &str = r##"
set -u
T="$1"
$T new-session -d -s a -x 80 -y 24 sh
$T split-window -t a:0 -- sh
$T new-window -d -t a: -- sh
$T new-session -d -s b -x 100 -y 30 sh
$T new-session -d -s c -x 60 -y 20 sh
show() {
  echo "$1:"
  $T list-windows -a -F '  #{session_name}:#{window_index} #{window_active}#{?window_last_flag,-,} #{window_width}x#{window_height} #{window_panes}'
  $T list-panes -a -F '  #{session_name}:#{window_index}.#{pane_index} #{pane_width}x#{pane_height} #{pane_id} #{pane_active}'
  echo "  sessions:" $($T ls -F '#{session_name}:#{session_windows}')
}
try() {
  label="$1"; shift
  said=$($T "$@" 2>&1); code=$?
  echo "$label: $said (exit $code)"
}
show start
try "move-window -s a:1 -t b:0" move-window -s a:1 -t b:0
try "move-window -s a:0 -t a:0" move-window -s a:0 -t a:0
try "move-window -s a:1 -t b:0.0" move-window -s a:1 -t b:0.0
$T move-window -s a:1 -t b:; show "move-window -s a:1 -t b:"
$T move-window -d -s a:0 -t b:5; show "move-window -d -s a:0 -t b:5 (a ends)"
$T new-session -d -s a -x 80 -y 24 sh
$T swap-window -s a:0 -t b:5; show "swap-window -s a:0 -t b:5"
try "join-pane -s b:5.0 -t b:5.0" join-pane -s b:5.0 -t b:5.0
$T join-pane -h -s c:0.0 -t b:0; show "join-pane -h -s c:0.0 -t b:0 (c ends)"
$T join-pane -d -s a:0.1 -t b:1; show "join-pane -d -s a:0.1 -t b:1"
try "break-pane -s b:0.1 -t a:0" break-pane -s b:0.1 -t a:0
try "break-pane -s b:0.1 -t a:0.0" break-pane -s b:0.1 -t a:0.0
$T break-pane -d -n out -s b:0.1 -t a:; show "break-pane -d -n out -s b:0.1 -t a:"
echo "name of a:1:" $($T display-message -p -t a:1 '#W')
$T break-pane -s a:0.0 -t b:3; show "break-pane -s a:0.0 -t b:3 (its window moves)"
$T move-window -k -s a:1 -t b:3; show "move-window -k -s a:1 -t b:3 (a ends)"
echo "session of the moved pane:" $($T display-message -p -t b:3 '#{session_name}')
$T new-session -d -s d -x 70 -y 20 sh
$T new-window -d -t d:1 -- sh
$T new-window -d -t d:3 -- sh
$T break-pane -a -s b:1.1 -t d:0; show "break-pane -a -s b:1.1 -t d:0"
$T break-pane -d -b -s b:1.0 -t d:3; show "break-pane -d -b -s b:1.0 -t d:3 (its window moves)"
"##;

/// The paste buffers: automatic and named ones, `set-buffer -a` and `-n`, `list-buffers`
/// with and without `-F` (newest first, escaped samples), `show-buffer`,
/// `delete-buffer`, and `paste-buffer` (newlines as Enter, `-d`, `-r`, `-s`) into a
/// `cat` without echo, with tmux's errors.
const BUFFERS_SCRIPT: &str = r##"
set -u
T="$1"
$T new-session -d -s b -x 80 -y 24 -- sh -c 'stty -echo; cat -v'
$T set-buffer "first"
$T set-buffer "second line
next	tab \\ end"
$T set-buffer -b mine "named"
$T list-buffers
$T list-buffers -F '#{buffer_name}|#{buffer_size}|#{buffer_sample}'
echo "show: $($T show-buffer)"
echo "show mine: $($T show-buffer -b mine)"
$T set-buffer -a -b mine " more"
echo "append: $($T show-buffer -b mine)"
$T set-buffer -b mine -n theirs
$T list-buffers
$T delete-buffer
$T list-buffers
$T paste-buffer -b theirs -t b 2>&1; echo "rc=$?"
$T paste-buffer -t b
$T paste-buffer -d -b buffer0 -t b
$T send-keys -t b Enter
$T set-buffer -b two "a
b"
$T paste-buffer -r -b two -t b
$T paste-buffer -s '|' -b two -t b
$T send-keys -t b Enter
sleep 0.5
$T capture-pane -p -t b | head -5
$T delete-buffer -b nope 2>&1; echo "rc=$?"
$T show-buffer -b nope 2>&1; echo "rc=$?"
$T list-buffers
$T delete-buffer; $T delete-buffer; $T show-buffer 2>&1; echo "rc=$?"
$T paste-buffer -t b 2>&1; echo "rc=$?"
rm -f in.txt out.txt
printf 'from a file\nline two' > in.txt
$T load-buffer -b f in.txt
echo "loaded: $($T show-buffer -b f)"
$T save-buffer -b f out.txt; od -c out.txt
$T save-buffer -a -b f out.txt; od -c out.txt
echo piped | $T load-buffer -b p -
$T save-buffer -b p - | od -c
$T load-buffer -b empty /dev/null; echo "rc=$?"
$T load-buffer nonexistent 2>&1 | sed "s|$PWD|.|"
$T save-buffer -b nope out2.txt 2>&1; echo "rc=$?"
$T save-buffer -b f nodir/x 2>&1 | sed "s|$PWD|.|"
$T list-buffers
"##;

/// respawn-pane and respawn-window (refused without `-k` in tmux's words; with it the
/// same pane, a command or the last one again, `-c` a path or a format, kept for the
/// next respawn), then new-window at an index, `-a`, `-b` (moving the windows up to the
/// next free index), `-k` (also of the current window with `-d`, and of a session's
/// only window) and its refusals.
const SPAWN_SCRIPT: &str = r##"
set -u
T="$1"
$T new-session -d -s rs -x 80 -y 24 sh
$T split-window -h -t rs:0 -- sh -c 'echo one; exec cat'
$T split-window -v -t rs:0.1 -- sh -c 'echo three; exec cat'
sleep 1
id() { $T display-message -p -t "$1" '#{pane_id}'; }
show() {
  echo "$1:" $($T list-panes -t rs:0 -F '#P #{pane_current_command} #{pane_width}x#{pane_height} #{pane_left},#{pane_top} #{pane_active}')
}
screen() {
  sleep 1
  echo "$1:" $($T capture-pane -p -t "$2")
}
show start
first=$(id rs:0.0); second=$(id rs:0.1)
$T respawn-pane -t rs:0.1 2>&1; echo "respawn-pane: $?"
$T respawn-window -t rs:0 2>&1; echo "respawn-window: $?"
$T respawn-pane -k -t rs:0.1 -- sh -c 'echo two; exec cat'
screen "respawn-pane -k with a command" rs:0.1
show "respawn-pane -k"
[ "$(id rs:0.1)" = "$second" ] && echo "same pane id"
$T respawn-pane -k -t rs:0.1
screen "again without a command" rs:0.1
$T respawn-pane -k -c /usr -t rs:0.1 -- sh -c 'pwd; exec cat'
screen "-c /usr" rs:0.1
$T respawn-pane -k -t rs:0.1
screen "again without -c" rs:0.1
$T select-pane -t rs:0.1
$T respawn-pane -k -c '#{pane_current_path}' -t rs:0.1 -- sh -c 'cd /; exec sh'
sleep 1
$T respawn-pane -k -c '#{pane_current_path}' -t rs:0.1 -- sh -c 'pwd; exec cat'
screen "-c #{pane_current_path} of a shell in /" rs:0.1
$T respawn-window -k -t rs:0 -- sh -c 'echo window; exec cat'
screen "respawn-window -k" rs:0
show "respawn-window -k"
[ "$(id rs:0.0)" = "$first" ] && echo "the first pane stays"
$T respawn-window -k -t rs:0
screen "respawn-window again" rs:0
$T new-session -d -s nw -x 80 -y 24 sh
$T rename-window -t nw:0 w0
ws() {
  echo "$1:" $($T list-windows -t nw -F '#I:#W#{window_flags}')
}
$T new-window -t nw:2 -n w2 -- sleep 1000
$T new-window -t nw:3 -n w3 -- sleep 1000
$T new-window -t nw:5 -n w5 -- sleep 1000
ws start
$T select-window -t nw:0
$T new-window -a -t nw -n a1 -- sleep 1000; ws "-a -t nw"
$T new-window -a -t nw:2 -n a2 -- sleep 1000; ws "-a -t nw:2"
$T new-window -b -t nw:3 -n b3 -- sleep 1000; ws "-b -t nw:3"
$T new-window -a -d -t nw:8 -n a8 -- sleep 1000; ws "-a -d -t nw:8 (no window 8)"
$T new-window -k -t nw:1 -n k1 -- sleep 1000; ws "-k -t nw:1"
$T new-window -t nw:1 -n dup -- sleep 1000 2>&1; echo "onto 1: $?"
$T new-window -k -t nw:9 -n k9 -- sleep 1000; ws "-k -t nw:9 (no window 9)"
$T new-window -a -k -t nw:9 -n ak -- sleep 1000; ws "-a -k -t nw:9"
$T new-window -b -t nw -n bs -- sleep 1000; ws "-b -t nw"
$T select-window -t nw:0
$T new-window -d -k -t nw:0 -n k0 -- sleep 1000; ws "-d -k -t nw:0 (current)"
$T new-window -t nw:0.0 -n p -- sleep 1000 2>&1; echo "a pane: $?"
$T new-session -d -s one -x 80 -y 24 sh
$T new-window -k -t one:0 -n only -- sleep 1000
echo "-k of the only window:" $($T list-windows -t one -F '#I:#W#{window_flags}')
$T split-window -t one:0 'echo "a shell line"; exec cat'
$T new-window -t one -n plain cat
$T respawn-pane -k -t one:1 'pwd; exec cat'
sleep 1
echo "without --:" $($T list-panes -s -t one -F '#{pane_current_command}') $($T capture-pane -p -t one:0.1) $($T capture-pane -p -t one:1)
"##;

/// set-environment and show-environment: what `new-session` takes from the caller (tmux's
/// update-environment), changes to a session's and the global environment, the shell
/// form, the errors, and what a pane started afterwards finds.
const ENVIRONMENT_SCRIPT: &str = r##"
set -u
T="$1"
export DISPLAY=:7 SSH_AUTH_SOCK=/tmp/agent.sock
unset KRB5CCNAME SSH_ASKPASS SSH_AGENT_PID SSH_CONNECTION WINDOWID XAUTHORITY
$T new-session -d -s env -x 80 -y 24 sh
$T show-environment -t env
$T set-environment -t env FOO 'bar baz'
$T set-environment -t env -r DISPLAY
$T set-environment -t env -u SSH_AUTH_SOCK
$T setenv -t env QUOTED 'a"b$c`d\e'
echo "after set, -r and -u:"
$T show-environment -t env
$T show-environment -t env FOO
$T show-environment -s -t env FOO
$T show-environment -s -t env DISPLAY
$T showenv -s -t env QUOTED
$T show-environment -t env NOPE 2>&1; echo "unknown: $?"
$T set-environment -t env EMPTY 2>&1; echo "no value: $?"
$T set-environment -t env 'BAD=NAME' x 2>&1; echo "bad name: $?"
$T set-environment -g GLOBAL yes
$T show-environment -g GLOBAL
$T new-window -t env -- sh -c 'echo "FOO=$FOO GLOBAL=$GLOBAL DISPLAY=${DISPLAY-unset}" > seen; exec cat'
sleep 1
cat seen
$T set-environment -g -u GLOBAL
$T show-environment -g GLOBAL 2>&1; echo "unset global: $?"
"##;

#[test]
fn a_tmux_script_prints_the_same_with_moshmux_server_in_place_of_tmux() {
    let (expected, actual) = run_both(SCRIPT, "script");
    // The reference is tmux's own answer, so the script must have reached what it
    // checks: a missing session, and the pane's directory read from its process.
    assert!(expected.contains("has nope: 1"), "tmux said:\n{expected}");
    assert!(expected.contains("logs 1 #"), "tmux said:\n{expected}");
    assert_eq!(
        actual, expected,
        "moshmux-server (left) and tmux 3.3 (right) disagree"
    );
}

#[test]
fn preset_layouts_place_every_pane_where_tmux_does() {
    let (expected, actual) = run_both(LAYOUT_SCRIPT, "layouts");
    // tmux's answer has every case in it: 3 sizes x 6 pane counts x 5 layouts, then the
    // 9 steps through the cycle, then the 8 splits and joins with -b and -f, then 7
    // spreads (select-layout -E).
    assert_eq!(
        expected.lines().count(),
        3 * 6 * 5 + 9 + 8 + 7,
        "tmux said:\n{expected}"
    );
    assert_eq!(
        actual, expected,
        "moshmux-server (left) and tmux 3.3 (right) disagree"
    );
}

#[test]
fn swapping_and_rotating_panes_moves_them_as_tmux_does() {
    let (expected, actual) = run_both(SWAP_SCRIPT, "swaps");
    // Four distinct programs in every listing, so a move that tmux makes shows.
    assert_eq!(expected.lines().count(), 10, "tmux said:\n{expected}");
    assert!(
        expected.lines().all(|line| ["cat", "sleep", "tail", "sh"]
            .iter()
            .all(|command| line.contains(&format!(" {command} ")))),
        "tmux said:\n{expected}"
    );
    assert_eq!(
        actual, expected,
        "moshmux-server (left) and tmux 3.3 (right) disagree"
    );
}

#[test]
fn breaking_joining_and_moving_windows_as_tmux_does() {
    let (expected, actual) = run_both(MOVES_SCRIPT, "moves");
    // Every step of both parts, and tmux's refusal of an index in use.
    assert_eq!(expected.lines().count(), 10 + 15, "tmux said:\n{expected}");
    assert!(
        expected.contains("index in use: 1"),
        "tmux said:\n{expected}"
    );
    assert_eq!(
        actual, expected,
        "moshmux-server (left) and tmux 3.3 (right) disagree"
    );
}

#[test]
fn windows_and_panes_move_between_sessions_as_tmux_does() {
    let (expected, actual) = run_both(CROSS_SESSION_SCRIPT, "cross-session");
    // Every step, with the sessions ended by the moves and tmux's refusals in it.
    assert_eq!(
        expected.matches(":\n").count(),
        11,
        "tmux said:\n{expected}"
    );
    for line in [
        "move-window -s a:1 -t b:0: index in use: 0 (exit 1)",
        "move-window -s a:0 -t a:0: same index: 0 (exit 1)",
        "break-pane -s b:0.1 -t a:0.0: can't specify pane here (exit 1)",
        "  sessions: b:3 c:1",
        "  sessions: a:1 b:3\n",
        "  b:0.1 49x30 %4 1",
        "name of a:1: out",
        "session of the moved pane: b",
        "  d:3.0 80x24 %2 1",
    ] {
        assert!(expected.contains(line), "tmux said:\n{expected}");
    }
    assert_eq!(
        actual, expected,
        "moshmux-server (left) and tmux 3.3 (right) disagree"
    );
}

#[test]
fn paste_buffers_hold_list_and_paste_as_tmux_does() {
    let (expected, actual) = run_both(BUFFERS_SCRIPT, "buffers");
    // tmux's answer has the pasted text and the errors in it.
    assert!(
        expected.contains("next    tab \\ endfirst"),
        "tmux said:\n{expected}"
    );
    assert!(
        expected.contains("unknown buffer: nope"),
        "tmux said:\n{expected}"
    );
    // ...and the files load-buffer and save-buffer read and wrote.
    for said in [
        "loaded: from a file",
        "./nonexistent: No such file",
        "./nodir/x: No such",
    ] {
        assert!(expected.contains(said), "tmux said:\n{expected}");
    }
    assert_eq!(
        actual, expected,
        "moshmux-server (left) and tmux 3.3 (right) disagree"
    );
}

#[test]
fn respawning_panes_and_placing_new_windows_as_tmux_does() {
    let (expected, actual) = run_both(SPAWN_SCRIPT, "spawn");
    // tmux's answer has its refusals, the screens of the respawned programs and the pane
    // ids kept, in every one of its lines.
    assert_eq!(expected.lines().count(), 32, "tmux said:\n{expected}");
    for line in [
        "respawn pane failed: pane rs:0.1 still active",
        "respawn window failed: window rs:0 still active",
        "again without -c: /usr",
        "same pane id",
        "the first pane stays",
        "create window failed: index 1 in use",
        "can't specify pane here",
        "without --: sleep cat cat a shell line /",
    ] {
        assert!(expected.contains(line), "tmux said:\n{expected}");
    }
    assert_eq!(
        actual, expected,
        "moshmux-server (left) and tmux 3.3 (right) disagree"
    );
}

#[test]
fn session_and_global_environments_as_tmux_keeps_them() {
    let (expected, actual) = run_both(ENVIRONMENT_SCRIPT, "environment");
    // tmux's answer has the update set it took, the errors, and a pane that saw the
    // changes.
    for said in [
        "SSH_AUTH_SOCK=/tmp/agent.sock",
        "-SSH_CONNECTION",
        "QUOTED=\"a\\\"b\\$c\\`d\\\\e\"; export QUOTED;",
        "unknown variable: NOPE",
        "no value specified",
        "variable name contains =",
        "FOO=bar baz GLOBAL=yes DISPLAY=unset",
        "unset global: 1",
    ] {
        assert!(expected.contains(said), "tmux said:\n{expected}");
    }
    assert_eq!(
        actual, expected,
        "moshmux-server (left) and tmux 3.3 (right) disagree"
    );
}
