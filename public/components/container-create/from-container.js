// A container's inspect data (GET /containers/{id}) as the create form's fields: "duplicate".

/** The mask the server puts on secret-looking environment values (SecretMask.mask). */
const MASK = '••••••';
const ANONYMOUS_VOLUME = /^[0-9a-f]{64}$/;

/** One word as the form's command line reads it back (ShellWords): quoted when it must be. */
function quote(word) {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

const commandLine = (words) => (words ?? []).map(quote).join(' ');

/** `512m` when the limit is whole MiB, else bytes. */
function memory(limit) {
  if (!limit) return '';
  return limit % 1048576 === 0 ? `${limit / 1048576}m` : String(limit);
}

/** Published ports as `-p` lines (the engine lists 0.0.0.0 and :: for one binding: once is enough). */
function portLines(ports) {
  const seen = new Set();
  for (const port of ports ?? []) {
    if (!port.public_port) continue;
    const any = !port.ip || port.ip === '0.0.0.0' || port.ip === '::';
    const ip = any ? '' : `${port.ip.includes(':') ? `[${port.ip}]` : port.ip}:`;
    seen.add(`${ip}${port.public_port}:${port.private_port}${port.type === 'tcp' ? '' : `/${port.type}`}`);
  }
  return [...seen];
}

function volumeLines(mounts) {
  return (mounts ?? []).map((mount) => {
    const mode = mount.read_only ? ':ro' : '';
    if (mount.type === 'volume') return ANONYMOUS_VOLUME.test(mount.name ?? '') ? mount.destination : `${mount.name}:${mount.destination}${mode}`;
    if (mount.type === 'bind') return `${mount.source}:${mount.destination}${mode}`;
    return null;  // tmpfs and the like: not a form field
  }).filter(Boolean);
}

/**
 * The form's values for a copy of `details`, and the environment keys whose values the server
 * masked (the copy gets them empty: the user types them again). Compose's labels stay behind, so
 * the copy is not taken for a member of the stack.
 */
export function formValues(details) {
  const masked = [];
  const env = (details.env ?? []).map((entry) => {
    const at = entry.indexOf('=');
    if (at > 0 && entry.slice(at + 1) === MASK) { masked.push(entry.slice(0, at)); return entry.slice(0, at + 1); }
    return entry;
  });
  const labels = Object.entries(details.labels ?? {}).filter(([key]) => !key.startsWith('com.docker.compose.'));
  const networks = Object.keys(details.networks ?? {});
  const hostname = details.hostname && details.hostname !== details.id.slice(0, 12) ? details.hostname : '';
  return {
    masked,
    values: {
      image: details.image,
      name: `${details.name}-copy`,
      command: commandLine(details.command),
      entrypoint: commandLine(details.entrypoint),
      ports: portLines(details.ports).join('\n'),
      volumes: volumeLines(details.mounts).join('\n'),
      env: env.join('\n'),
      labels: labels.map(([key, value]) => `${key}=${value}`).join('\n'),
      network: networks.find((name) => name !== 'bridge') ?? '',
      restart_policy: details.restart_policy ?? 'no',
      memory: memory(details.memory_limit),
      cpus: details.nano_cpus ? String(details.nano_cpus / 1e9) : '',
      user: details.user ?? '',
      working_dir: details.working_dir ?? '',
      hostname,
      tty: details.tty,
      start: true,
    },
  };
}
