console.error(
  'npm start runs a whole sale once the services exist (issue "A whole sale end to end"); nothing to run yet.',
);
process.exitCode = 1;
