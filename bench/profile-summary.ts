/**
 * npx tsx bench/profile-summary.ts <file.cpuprofile> [top]
 * Self time per function (and per package) of a V8 CPU profile, highest first: where a process spent its CPU.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const [file, top = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
const total = profile.samples.length;
const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  if (hits === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/main\//, '');
  const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
  const pkg = url.includes('node_modules/') ? /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)![1]! : url ? (url.startsWith('node:') ? 'node' : 'orderflow') : functionName;
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
}
const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [key, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
    console.log(`${((hits / total) * 100).toFixed(1).padStart(5)} %  ${key}`);
  }
};
show('by package', byPackage);
show('by function', byFunction);
