console.log('join');
