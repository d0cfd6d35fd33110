mod oauth_tests;
