// A stand-in VNC server, run in a worker thread by console-bridge.ts: it answers the RFB handshake
// with the VM's own ServerInit, and every FramebufferUpdateRequest with the full-screen update
// recorded from the VM, at once. QEMU paces updates on its display refresh timer; this does not,
// so a bridge in front of it is measured at its own speed.
import fs from 'node:fs';
import net from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

interface ReplayData {
  socketPath: string;
  serverInit: Uint8Array;
  update: Uint8Array;
}

const QEMU_EXTENDED_KEY_EVENT = -258;
const { socketPath, serverInit, update } = workerData as ReplayData;
const initBytes = Buffer.from(serverInit);
const updateBytes = Buffer.from(update);
const ack = Buffer.alloc(16);
ack.writeUInt16BE(1, 2);
ack.writeInt32BE(QEMU_EXTENDED_KEY_EVENT, 12);

function serve(socket: net.Socket): void {
  let buffered: Buffer = Buffer.alloc(0);
  let stage: 'version' | 'security' | 'init' | 'messages' = 'version';
  socket.write('RFB 003.008\n');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
    while (buffered.length > 0) {
      const need =
        stage === 'version'
          ? 12
          : stage === 'security' || stage === 'init'
            ? 1
            : buffered[0] === 2
              ? buffered.length >= 4
                ? 4 + 4 * buffered.readUInt16BE(2)
                : 4
              : buffered[0] === 3
                ? 10
                : 0;
      // The benchmark client sends nothing else; anything else means a bug, not a message to skip.
      if (need === 0) return void socket.destroy();
      if (buffered.length < need) return;
      const message = buffered.subarray(0, need);
      buffered = buffered.subarray(need);
      if (stage === 'version') {
        socket.write(Buffer.from([1, 1]));
        stage = 'security';
      } else if (stage === 'security') {
        socket.write(Buffer.alloc(4));
        stage = 'init';
      } else if (stage === 'init') {
        socket.write(initBytes);
        stage = 'messages';
      } else if (message[0] === 2) {
        for (let i = 4; i < message.length; i += 4) {
          if (message.readInt32BE(i) === QEMU_EXTENDED_KEY_EVENT) socket.write(ack);
        }
      } else if (message[0] === 3) {
        socket.write(updateBytes);
      }
    }
  });
}

fs.rmSync(socketPath, { force: true });
const server = net.createServer(serve);
server.listen(socketPath, () => parentPort?.postMessage('listening'));
parentPort?.on('message', () => server.close(() => process.exit(0)));
