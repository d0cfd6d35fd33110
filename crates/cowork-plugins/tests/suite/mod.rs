mod marketplace_policy_tests;
mod marketplace_tests;
