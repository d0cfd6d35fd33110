mod daemon_loop;
