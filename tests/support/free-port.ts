import net from 'node:net';

/**
 * A TCP port on 127.0.0.1 that nothing holds now, for a VM's host forward. A fixed port such as
 * 42122 lies in Linux's ephemeral range (net.ipv4.ip_local_port_range, 32768–60999), so any
 * outgoing connection on the machine may hold it when QEMU binds (seen in the suite under load).
 */
export async function freeTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
