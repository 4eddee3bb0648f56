// Records every outbound connection and name lookup a Node process attempts, one JSON line each, appended to the
// file named by MEDPORT_OUTBOUND_LOG. Loaded before anything else with `--import` (NODE_OPTIONS carries it into
// every child process), so that a test or a benchmark can show that MedPort's processes talk only to the services
// they were configured with. Plain JavaScript: it runs before any TypeScript loader is registered.
import dgram from 'node:dgram';
import dns from 'node:dns';
import { appendFileSync } from 'node:fs';
import net from 'node:net';

const logFile = process.env.MEDPORT_OUTBOUND_LOG;

if (logFile) {
  const record = (kind, target) => {
    try {
      appendFileSync(logFile, `${JSON.stringify({ pid: process.pid, script: process.argv[1] ?? null, kind, target })}\n`);
    } catch {
      // Recording must never change what the process does.
    }
  };

  // net.connect, http, https, tls, undici and pg all end up here. Node passes its own normalised arguments as an
  // array; callers may pass (options), (port, host) or (path).
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function recordedConnect(...args) {
    const [first, second] = Array.isArray(args[0]) ? args[0] : args;
    if (typeof first === 'object' && first !== null) {
      record('connect', first.path ? `unix:${first.path}` : `${first.host ?? 'localhost'}:${first.port}`);
    } else if (typeof first === 'string' && Number.isNaN(Number(first))) {
      record('connect', `unix:${first}`);
    } else {
      record('connect', `${typeof second === 'string' ? second : 'localhost'}:${first}`);
    }
    return connect.apply(this, args);
  };

  const wrapLookups = (target, names, label) => {
    for (const name of names) {
      const original = target[name];
      if (typeof original !== 'function') continue;
      target[name] = function recordedLookup(hostname, ...rest) {
        record(label, String(hostname));
        return original.call(this, hostname, ...rest);
      };
    }
  };
  const lookups = ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny', 'resolveCname', 'resolveSrv', 'resolveTxt'];
  wrapLookups(dns, lookups, 'dns');
  wrapLookups(dns.promises, lookups, 'dns');
  wrapLookups(dns.Resolver.prototype, lookups, 'dns');
  wrapLookups(dns.promises.Resolver.prototype, lookups, 'dns');

  const send = dgram.Socket.prototype.send;
  // send(message, [offset, length,] port, [address], [callback]); a connected socket names no port.
  dgram.Socket.prototype.send = function recordedSend(message, ...rest) {
    const [port, address] = typeof rest[1] === 'number' ? [rest[2], rest[3]] : [rest[0], rest[1]];
    record('udp', `${typeof address === 'string' ? address : 'localhost'}:${typeof port === 'number' ? port : 'connected'}`);
    return send.call(this, message, ...rest);
  };
}
