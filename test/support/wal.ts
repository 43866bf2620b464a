import { existsSync, readFileSync } from 'node:fs';

/**
 * What `file`'s SQLite write-ahead log holds since its last reset: the transactions committed, and the frames after
 * the last commit (a transaction written in part and never committed). SQLite marks the last frame of each commit
 * with the database size after it (frame header bytes 4-7; 0 in the other frames); frames left from before a reset
 * carry other salts and are not counted.
 */
export function readWal(file: string): { readonly commits: number; readonly uncommittedFrames: number } {
  if (!existsSync(`${file}-wal`)) return { commits: 0, uncommittedFrames: 0 };
  const wal = readFileSync(`${file}-wal`);
  if (wal.length < 32) return { commits: 0, uncommittedFrames: 0 };
  const pageSize = wal.readUInt32BE(8);
  const salts = wal.subarray(16, 24);
  let commits = 0;
  let uncommittedFrames = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    if (!wal.subarray(at + 8, at + 16).equals(salts)) break;
    if (wal.readUInt32BE(at + 4) !== 0) {
      commits++;
      uncommittedFrames = 0;
    } else uncommittedFrames++;
  }
  return { commits, uncommittedFrames };
}
