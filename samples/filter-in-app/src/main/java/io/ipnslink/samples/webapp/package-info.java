package io.ipnslink.samples.webapp;
