// Runs dynalite on its own thread: the store gets the machine's second core instead of sharing
// the manager's event loop, and it dies with the process however the process dies (a SIGKILL
// leaves no orphan holding the LevelDB lock of the data folder).
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';

const server = dynalite({
  ...(workerData.path ? { path: workerData.path } : {}),
  createTableMs: 0,
  deleteTableMs: 0,
  updateTableMs: 0,
});

server.on('error', (error) => parentPort.postMessage({ type: 'error', message: String(error && error.message ? error.message : error) }));
server.listen(workerData.port, workerData.host, () => {
  parentPort.postMessage({ type: 'listening', port: server.address().port });
});

parentPort.on('message', (message) => {
  if (message === 'close') {
    server.closeAllConnections();
    server.close(() => parentPort.postMessage({ type: 'closed' }));
  }
});
