mod hooks_tests;
