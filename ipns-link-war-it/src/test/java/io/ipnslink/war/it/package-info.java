package io.ipnslink.war.it;
