// The peer of `mailcheck verify`: mailauth (Node) over the same Maildir, same DNS server.
// Usage: node mailauth_verify.mjs MAILDIR HOST:PORT [CONCURRENCY]
// DKIM, SPF (IP and HELO from the top Received header, as mailcheck does), DMARC and ARC;
// BIMI off (mailcheck verify has none). Answers are cached per run, as mailcheck caches keys,
// so neither side pays a round trip per message. Prints one JSON line of counts.
import { createRequire } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import path from 'node:path';

const require = createRequire(path.join(process.env.MAILAUTH_PREFIX ?? process.cwd(), 'x.js'));
const { authenticate } = require('mailauth');

const [maildir, nameserver, concurrencyText] = process.argv.slice(2);
const resolver = new Resolver({ timeout: 5000, tries: 2 });
resolver.setServers([nameserver]);
const cache = new Map();
const resolve = (name, rr) => {
    const key = `${name}/${rr}`;
    if (!cache.has(key)) {
        cache.set(key, resolver.resolve(name, rr));
    }
    return cache.get(key);
};

const files = [];
for (const sub of ['cur', 'new']) {
    for (const name of (await readdir(path.join(maildir, sub))).sort()) {
        files.push(path.join(maildir, sub, name));
    }
}
const counts = { messages: 0, dmarc: {} };
let next = 0;
async function worker() {
    while (next < files.length) {
        const file = files[next++];
        const message = await readFile(file);
        const result = await authenticate(message, {
            trustReceived: true,
            mta: 'mx.verify.test',
            resolver: resolve,
            disableBimi: true,
        });
        const outcome = result.dmarc?.status?.result ?? 'none';
        counts.dmarc[outcome] = (counts.dmarc[outcome] ?? 0) + 1;
        counts.messages++;
    }
}
await Promise.all(Array.from({ length: Number(concurrencyText ?? 16) }, worker));
process.stdout.write(JSON.stringify(counts) + '\n');
