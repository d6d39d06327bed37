/** `booking cluster logs --follow | head`: a reader that went away is the end, not a crash. */
export function onClosedStdout() {
  process.stdout.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}
