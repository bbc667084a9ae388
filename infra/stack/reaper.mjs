// Stops the local engines when the process that started them dies, however it died
// (Ctrl-C, SIGKILL, a crashed test run), so no engine outlives its owner.
// usage: node reaper.mjs OWNER_PID ENGINE_PID...
const [owner, ...engines] = process.argv.slice(2).map(Number);

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid, sig) {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // gone
    }
  }
}

const timer = setInterval(() => {
  if (alive(owner)) return;
  clearInterval(timer);
  for (const pid of engines) signal(pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  const wait = setInterval(() => {
    const left = engines.filter(alive);
    if (left.length === 0 || Date.now() > deadline) {
      for (const pid of left) signal(pid, 'SIGKILL');
      clearInterval(wait);
      process.exit(0);
    }
  }, 200);
}, 500);
