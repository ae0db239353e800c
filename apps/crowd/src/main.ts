console.error('crowd: the load generator arrives with the "whole sale end to end" issue.');
process.exitCode = 1;
