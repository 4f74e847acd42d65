/**
 * Process warnings from the libraries the CLI loads, as one line each on stderr (Node prints them
 * as multi-line blocks, with a "--trace-warnings" hint meant for developers):
 * - The AWS SDK for JavaScript v3 warns on Node < 22 that its releases after the first week of
 *   January 2027 will require Node 22 (@aws-sdk/core emitWarningIfUnsupportedVersion). dskit pins
 *   the SDK (3.1142.0), which runs on Node 20; the note says so once (README, Requirements).
 * - google-auth-library warns when it probes for the Compute Engine metadata server and finds
 *   none: expected anywhere but on Google Cloud, so it is dropped.
 * Any other warning keeps its name and first line.
 */
export function oneLineWarnings(write: (line: string) => void, proc: NodeJS.Process = process): void {
  let awsNoted = false;
  proc.removeAllListeners('warning');
  proc.on('warning', (w: Error) => {
    const text = `${w.name === 'Warning' ? '' : `${w.name}: `}${w.message}`;
    if (/NodeVersionSupportWarning/.test(text)) {
      if (!awsNoted) {
        write(
          `dskit: note: the AWS SDK says its releases after the first week of January 2027 need Node 22; dskit pins 3.1142.0, which runs on this Node ${proc.version} (README, Requirements)`,
        );
      }
      awsNoted = true;
      return;
    }
    if (w.name === 'MetadataLookupWarning') return;
    write(`dskit: warning: ${text.split('\n')[0]}`);
  });
}
