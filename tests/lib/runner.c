/* runner.c - main() of each Check test binary: runs every registered suite. */
int ts_run_registered(void);

int main(void)
{
	return ts_run_registered();
}
